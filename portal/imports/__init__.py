"""Spreadsheet import: customers' .xlsx and .csv files read into checked device rows.

Pure functions over bytes and a context loaded once per file; no request, no view. The views
(portal.customer.import_views) and `flask import check` call the same functions.
"""

from portal.imports.context import context_for
from portal.imports.fields import FIELDS
from portal.imports.problems import problems_workbook
from portal.imports.reader import read_file
from portal.imports.result import Column, FileRefused, ImportContext, ImportResult, ImportRow, Problem
from portal.imports.rows import validate_row

__all__ = ["FIELDS", "Column", "FileRefused", "ImportContext", "ImportResult", "ImportRow", "Problem",
           "context_for", "problems_workbook", "read_file", "validate_row"]
