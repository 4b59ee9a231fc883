"""A Dear ImGui + ImPlot context with no window, for render tests and frame-time benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from imgui_bundle import imgui, implot


@contextmanager
def headless_imgui(width: float = 1600, height: float = 1000) -> Iterator[None]:
 """Create the contexts with a display size and a 60 fps frame step; destroy them afterwards.

 `renderer_has_textures` stands in for a renderer so that the font atlas builds without one.
 """
 context = imgui.create_context()
 plots = implot.create_context()
 io = imgui.get_io()
 io.set_ini_filename(None)
 io.display_size = imgui.ImVec2(width, height)
 io.delta_time = 1 / 60
 io.backend_flags |= imgui.BackendFlags_.renderer_has_textures
 try:
  yield
 finally:
  implot.destroy_context(plots)
  imgui.destroy_context(context)
