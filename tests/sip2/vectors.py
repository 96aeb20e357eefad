"""Published SIP2 frames used as test vectors, with where each came from.

Every frame here was copied from another implementation's test suite; the checksum was
computed by that implementation, not by us.
"""

# Evergreen SIPServer, t/0001_checksum.t (commit 5f3de4843e0a6d0c02226d2d3c18e31857bd88b6):
# pairs of (checksum, frame up to and including "AZ"). Only the ASCII ones are here: the
# stored copy's accented titles do not verify under UTF-8, Latin-1 or cp850 (the file was
# re-encoded at some point), so they cannot serve as vectors.
EVERGREEN_PAIRS: dict[str, str] = {
    "DB4E": "1804020120110630    110249AB30007008637257|AJVie d'Isabelle Eberhardt |CK001"
    "|AQOSUL|APOSUL|BGOSUL|AH2011-10-28 23:59:59|CSPB LP   EAU|AY6AZ",
    "DC23": "1804020120110630    110250AB30007008611161|AJUne vie n'est pas assez|CK001"
    "|AQOSUL|APOSUL|BGOSUL|AH2011-10-28 23:59:59|CSPB LP GRO|AY4AZ",
    "E174": "1804020120110630    110250AB30007008641424|AJLe zahir|CK001|AQOSUL|APOSUL"
    "|BGOSUL|AH2011-10-28 23:59:59|CSPB LP COE|AY7AZ",
    "E003": "1804020120110630    110251AB30007008432675|AJIncendiaire|CK001|AQOSUL|APOSUL"
    "|BGOSUL|AH2011-10-28 23:59:59|CSPB LP CLE|AY8AZ",
    "DB4F": "1804020120110630    110251AB30007001210029|AJLa Mort n'est pas une fin|CK001"
    "|AQOSUL|APOSUL|BGOSUL|AH2011-10-28 23:59:59|CSPB LP     CHR|AY9AZ",
    "DAE9": "1804020120110630    110251AB30007008637232|AJL'E mpire des loups : roman|CK001"
    "|AQOSUL|APOSUL|BGOSUL|AH2011-10-28 23:59:59|CSPB LP   GRA|AY0AZ",
    "DD80": "1804020120110630    110251AB30007001210078|AJLe Miroir se brisa|CK001|AQOSUL"
    "|APOSUL|BGOSUL|AH2011-10-28 23:59:59|CSPB LP     CHR|AY1AZ",
    "DB71": "1804020120110630    110251AB30007008637216|AJLa nuit du renard : roman|CK001"
    "|AQOSUL|APOSUL|BGOSUL|AH2011-10-18 23:59:59|CSPB LP   CLA|AY3AZ",
    "FDFD": "941AY0AZ",  # "example from CASSIE"
}

# atz/SIPServer, t/0001_checksum.t (commit 4b33a95f3772a82a89c2cd61966b7650d81ea011):
# "see page 26 of the 3M SIP2 Developers Guide".
THREE_M_GUIDE_SC_STATUS = "990 402.00AY1AZFCB4"

# The same file's other pairs do NOT verify (redacted or hand-edited frames); a decoder that
# checks checksums must refuse them. (claimed checksum, frame up to "AZ")
ATZ_BAD_PAIRS: dict[str, str] = {
    "EC78": "9300CNLoginUserID|COLoginPassword|CPLocationCode|AY5AZ",
    "CD15": "101YNN2008050000053612AOkcls |AB2030527770|AQreerd|AJWalter in the woods and "
    "the letter W / by Cynthia Klingel and Robert B. Noyed.|AF|CSE KLINGEL|CRreerd|AY89AZ",
    "DC06": "101YNN200808050000053558AOkcls |AB2029693658|AQrecfc|AJClementine and Mungo / "
    "by Saray Dyer.|AF|CSE DYER|CRrecfc|AY1AZ",
}

# petkivim/jsip2 (MIT), src/src/test/java/com/pkrete/jsip2/messages/requests/*Test.java
# (commit 6b09dddeb317c911487045c43ac1113f2ff6f1fa): complete request frames, CR excluded.
JSIP2_FRAMES: list[str] = [
    # SIP2LoginRequestTest
    "9300CNuser|COpasswd|CPlocation|",
    "9300CNuser|COpasswd|CPlocation|AY0AZF2FB",
    "9300CNuser|COpasswd|CPcirculationLocation|AY1AZEE7D",
    # SIP2CheckoutRequestTest
    "11NN20210814    08345520210814    083455AOinstitutionId|AApatronId|ABitemId"
    "|ACterminalPassword|ADpatronPassword|",
    "11YY20210814    08345520210814    083455AO|AApatronId|ABitemId|AC|AY0AZED4B",
    "11NN20190304    17315220210814    083455AOinstitutionId|AApatronId|ABitemId|AC"
    "|CHitemProperties|AY1AZE10B",
    "11YN20210814    08345520210814    083455AOinstitutionId|AApatronId|ABitemId|AC"
    "|ADpatronPassword|BON|BIN|AY3AZDE44",
    "11NY20210814    08345520210814    083455AOinstitutionId|AApatronId|ABitemId"
    "|ACterminalPassword|ADpatronPassword|BOY|BIY|AY0AZD782",
    # SIP2CheckinRequestTest
    "09N20210814    08345520210814    083455APlocation|AOinstitutionId|ABitemId"
    "|ACterminalPassword|",
    "09Y20210814    08345520210814    083455AP|AO|ABitemId|AC|AY0AZF0CF",
    "09N20210715    12450120210810    180136APlocation|AO|ABitemId|AC|CHitemProperties|AY1AZE6B3",
    "09N20210814    08345520210815    082755APlocation|AOinstitutionId|ABitemId|AC|BIN|AY3AZE6AF",
    "09Y20200103    19234620210814    083455APlocation|AOinstitutionId|ABitemId"
    "|ACterminalPassword|BIY|AY0AZDFFA",
    # SIP2PatronInformationRequestTest
    "6300020210814    083455          AOinstitutionId|AApatronIdentifier"
    "|ACterminalPassword|ADpatronPassword|",
    "6300020210814    083455          AO|AApatronIdentifier|AC|AD|AY2AZEE73",
    "6300020150416    064702  Y       AOinstitutionId|AApatronIdentifier|AC|AD|AY0AZE8CA",
    "6300720210814    083455          AOinstitutionId|AApatronIdentifier|AC"
    "|ADpatronPassword|AY1AZE30F",
    "6300020210814    083455          AOinstitutionId|AApatronIdentifier"
    "|ACterminalPassword|ADpatronPassword|BP2|BQ5|AY0AZD9E4",
    # SIP2HoldRequestTest (the last carries MA, a field the standard does not define)
    "15+20210814    083455AO|AApatronId|ADpatronPassword|ABitemId|AJtitleId|BON|AY3AZE5FD",
    "15+20210814    083455AOinstitutionId|AApatronId|ABitemId|AJtitleId"
    "|ACterminalPassword|BOY|MAbibId|AY0AZDCD3",
]
