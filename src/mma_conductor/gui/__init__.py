"""The Dear ImGui desktop app: views that draw cached snapshots of the controller's state."""
