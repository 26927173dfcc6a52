"""Every table the portal shows, as an .xlsx workbook with Chinese headers."""

from __future__ import annotations

import io
from urllib.parse import quote

import polars as pl
import xlsxwriter
from starlette.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(df: pl.DataFrame, columns: dict[str, str], sheet: str) -> bytes:
    """The frame's `columns` (in that order), headed by their Chinese names."""
    present = [c for c in columns if c in df.columns]
    flat = df.select(present).with_columns(
        [pl.col(c).cast(pl.String) for c, t in df.select(present).schema.items()
         if t in (pl.Date, pl.Datetime) or isinstance(t, (pl.Datetime, pl.List, pl.Struct))])
    flat = flat.with_columns([pl.when(pl.col(c)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(c)
                              for c, t in flat.schema.items() if t == pl.Boolean])
    flat = flat.rename({c: columns[c] for c in present})
    buf = io.BytesIO()
    # strings are text, never formulas: a cell "=HYPERLINK(…)" from a submission stays inert
    with xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False}) as wb:
        flat.write_excel(wb, worksheet=sheet[:31], autofit=flat.height < 5000)
    return buf.getvalue()


def xlsx_response(df: pl.DataFrame, columns: dict[str, str], filename: str) -> Response:
    body = xlsx_bytes(df, columns, filename.rsplit(".", 1)[0])
    ascii_name = "liftcheck-export.xlsx"
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"})
