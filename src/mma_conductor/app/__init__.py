"""The application: the controller that owns app state and the pending-event queue, the link that wires the
engine to the ledger, the headless runner, the project config and the app settings.
"""
