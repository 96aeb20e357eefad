"""One patron's visit as a state machine, independent of the UI (see the kiosk UI issue)."""
