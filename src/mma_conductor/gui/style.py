"""Colors and table style the views share, so that "unpriced", subtotals, states and tables look the same everywhere."""

from imgui_bundle import imgui

UNPRICED = imgui.ImVec4(1.0, 0.62, 0.25, 1.0)
SUBTOTAL = imgui.ImVec4(0.55, 0.85, 1.0, 1.0)
MUTED = imgui.ImVec4(0.6, 0.6, 0.6, 1.0)
GOOD = imgui.ImVec4(0.45, 0.9, 0.45, 1.0)
BAD = imgui.ImVec4(1.0, 0.4, 0.4, 1.0)
AMBER = imgui.ImVec4(1.0, 0.72, 0.2, 1.0)  # past a budget's alert threshold
SIMULATED = imgui.ImVec4(1.0, 0.85, 0.3, 1.0)

STATUS_COLORS = {
 "done": GOOD,
 "blocked": BAD,
 "in_progress": SUBTOTAL,
 "review": SIMULATED,
 "todo": MUTED,
}

# Columns fit their content (figures are never cut); the one label column per table given STRETCH takes the rest.
TABLE_FLAGS = (
 imgui.TableFlags_.borders_inner_v
 | imgui.TableFlags_.borders_outer
 | imgui.TableFlags_.row_bg
 | imgui.TableFlags_.sizing_fixed_fit
)
FIXED = imgui.TableColumnFlags_.width_fixed
STRETCH = imgui.TableColumnFlags_.width_stretch
