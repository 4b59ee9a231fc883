"""Reading back what the views drew: the rows of Dear ImGui's text log of a table, and the cells a model's
row in the Cost Analytics panel must show."""


def table_rows(text: str) -> list[list[str]]:
 """The `| a | b |` lines of logged text, as lists of stripped cells."""
 rows = []
 for line in text.splitlines():
  line = line.strip()
  if line.startswith("|") and line.endswith("|"):
   rows.append([cell.strip() for cell in line.strip("|").split("|")])
 return rows


def model_row_cells(figures) -> list[str]:
 """Input, Output, Cached and Cost of a model's row, formatted as the panel shows them."""
 return [
  f"{figures.input_tokens:,}",
  f"{figures.output_tokens:,}",
  f"{figures.cached_tokens:,}",
  figures.cost_label,
 ]
