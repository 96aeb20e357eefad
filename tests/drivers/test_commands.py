"""``kiosk devices`` and ``kiosk sim`` as a technician runs them, on real ptys."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from drivers.events import ItemPassedDiverter, ItemPresent, ScanEvent
from drivers.link import SerialSettings
from drivers.returnunit import ReturnUnit
from drivers.scanner import BarcodeScanner
from drivers.sim.port import PtyPort
from drivers.sim.scanner import ScannerSim

from .conftest import Events

ROOT = Path(__file__).resolve().parents[2]


def kiosk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def start_kiosk(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def machine(tmp_path: Path, devices: str) -> Path:
    path = tmp_path / "machine.toml"
    path.write_text(f'machine_id = "t1"\nlibrary = "hefei"\n{devices}', encoding="utf-8")
    return path


def test_devices_test_shows_live_scans(tmp_path: Path) -> None:
    link = tmp_path / "scanner"
    config = machine(tmp_path, f'[devices.scanner]\nkind = "scanner"\nurl = "{link}"\n')
    with ScannerSim(PtyPort(link=link), aim="]F0") as sim:
        process = start_kiosk(
            "devices", "test", "scanner", "--config", str(config), "--seconds", "3"
        )
        codes = [f"3123400000{n:04d}" for n in range(10)]
        for code in codes:  # keep scanning: reads before the port opened are lost
            time.sleep(0.3)
            sim.scan(code)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    seen = [c for c in codes if f"ScanEvent code={c} symbology=codabar" in out]
    assert seen and seen == codes[codes.index(seen[0]) : len(seen) + codes.index(seen[0])]
    assert "rejected frames: 0" in out


def test_devices_test_return_unit_cycles_the_door(tmp_path: Path) -> None:
    config = machine(tmp_path, '[devices.ru]\nkind = "return_unit"\nurl = "sim:"\n')
    result = kiosk("devices", "test", "ru", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "status: DOOR=CLOSED" in result.stdout
    assert result.stdout.index("DoorOpened") < result.stdout.index("DoorClosed")
    assert "return unit ok" in result.stdout


def test_devices_test_printer_prints(tmp_path: Path) -> None:
    config = machine(tmp_path, '[devices.printer]\nkind = "printer"\nurl = "sim:"\n')
    result = kiosk("devices", "test", "printer", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "status: ready" in result.stdout and "test receipt printed" in result.stdout


def test_devices_test_missing_port_is_one_line_exit_3(tmp_path: Path) -> None:
    config = machine(tmp_path, f'[devices.s]\nkind = "scanner"\nurl = "{tmp_path}/gone"\n')
    result = kiosk("devices", "test", "s", "--config", str(config), "--open-timeout", "0.5")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "kiosk: s: cannot open" in result.stderr and "gone" in result.stderr


def test_devices_list_marks_configured_devices() -> None:
    result = kiosk("devices", "list", "--config", "config/kiosk.example.toml")
    assert result.returncode == 0, result.stderr
    assert "PORT" in result.stdout
    assert "NOT FOUND" in result.stdout and "scanner (scanner)" in result.stdout
    assert "return_unit (return_unit)" in result.stdout


def test_sim_scanner_with_a_scenario(tmp_path: Path, events: Events) -> None:
    link = tmp_path / "scanner"
    scenario = tmp_path / "scans.toml"
    scenario.write_text(
        '[[step]]\naction = "garbage"\ncount = 8\n'  # sent once the driver has opened
        '[[step]]\naction = "scan"\ncode = "31234000012345"\nafter = 0.2\n'
        '[[step]]\naction = "scan"\ncode = "31234000012345"\n'  # a double read
        '[[step]]\naction = "scan"\ncode = "A31234000099999B"\nafter = 0.3\n',
        encoding="utf-8",
    )
    process = start_kiosk("sim", "scanner", "--port", str(link), "--scenario", str(scenario))
    settings = SerialSettings(str(link), reconnect_initial=0.05, reconnect_max=0.1)
    with BarcodeScanner("scanner", settings, events.put) as scanner:
        assert events.wait_for(ScanEvent, timeout=10).code == "31234000012345"
        assert events.wait_for(ScanEvent).code == "31234000099999"
        assert scanner.rejected == 1 and scanner.duplicates_dropped == 1
    process.communicate(timeout=20)
    assert process.returncode == 0


def test_sim_return_unit_runs_a_cycle(tmp_path: Path, events: Events) -> None:
    link = tmp_path / "io"
    scenario = tmp_path / "item.toml"
    scenario.write_text('[[step]]\naction = "present_item"\n', encoding="utf-8")
    process = start_kiosk(
        "sim",
        "return-unit",
        "--port",
        str(link),
        "--cycle-time",
        "0.4",
        "--scenario",
        str(scenario),
        "--hold",
        "3",
    )
    settings = SerialSettings(str(link), reconnect_initial=0.05, reconnect_max=0.1)
    with ReturnUnit("ru", settings, events.put) as unit:
        events.wait_for(ItemPresent, timeout=10)
        assert unit.divert(2).result(5).ok
        assert unit.run_conveyor().result(5).ok
        assert events.wait_for(ItemPassedDiverter).bin == 2
    process.send_signal(signal.SIGINT)  # Ctrl-C ends a simulator cleanly
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert out.startswith("! HELLO SIM-IO")  # the board announces itself at power-up
    assert "DIVERT 2" in out and "! EYE DIVERTER 0" in out


def test_sim_scanner_scan_waits_for_the_kiosk(tmp_path: Path, events: Events) -> None:
    link = tmp_path / "scanner"
    process = start_kiosk("sim", "scanner", "--port", str(link), "--scan", "31234000012345")
    time.sleep(1.0)  # the kiosk comes up later than the simulator
    settings = SerialSettings(str(link), reconnect_initial=0.05, reconnect_max=0.1)
    with BarcodeScanner("scanner", settings, events.put):
        assert events.wait_for(ScanEvent, timeout=10).code == "31234000012345"
    _, err = process.communicate(timeout=20)
    assert process.returncode == 0 and "waiting up to 60 s" in err


def test_sim_gives_up_when_nobody_opens_the_port(tmp_path: Path) -> None:
    result = kiosk("sim", "scanner", "--port", str(tmp_path / "s"), "--scan", "1", "--wait", "0.5")
    assert result.returncode == 3
    assert "nothing opened" in result.stderr and "Traceback" not in result.stderr


def test_sim_bad_scenario_is_one_line(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text('[[step]]\naction = "explode"\n', encoding="utf-8")
    result = kiosk("sim", "scanner", "--scenario", str(scenario))
    assert result.returncode == 2
    assert "unknown action 'explode'" in result.stderr and "Traceback" not in result.stderr


def test_sim_printer_echoes_what_it_prints(tmp_path: Path) -> None:
    from drivers.printer import ReceiptPrinter
    from tests.drivers.test_printer import RECEIPT

    link = tmp_path / "printer"
    process = start_kiosk("sim", "printer", "--port", str(link))  # until Ctrl-C
    settings = SerialSettings(str(link), reconnect_initial=0.05, reconnect_max=0.1)
    with ReceiptPrinter("p", lambda e: None, serial=settings) as printer:
        assert printer.link is not None and printer.link.wait_connected(10)
        assert printer.print_receipt(RECEIPT).result(10).ok
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Hefei Library" in out and "**********2345" in out


def test_sim_port_choice(tmp_path: Path) -> None:
    from drivers.sim.port import PtyPort, UrlPort, device_port

    fresh = device_port(str(tmp_path / "new"))
    assert isinstance(fresh, PtyPort) and (tmp_path / "new").is_symlink()
    fresh.unplug()
    stale = tmp_path / "stale"
    stale.symlink_to("/dev/pts/999")  # left by a crashed run
    replaced = device_port(str(stale))
    assert isinstance(replaced, PtyPort) and replaced.slave_name != "/dev/pts/999"
    replaced.close()
    real = PtyPort()  # stands in for an existing serial device
    other = device_port(real.slave_name)
    assert isinstance(other, UrlPort)
    other.close()
    real.close()
