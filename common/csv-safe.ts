// Spreadsheet formula injection (OWASP "CSV Injection"): a cell that starts with =, +, -, @, tab or
// carriage return is a formula to Excel and LibreOffice, so a VM named =HYPERLINK(...) would run in
// the consultant's spreadsheet. Such text cells get a leading single quote, which the spreadsheet
// shows as text and does not evaluate.
//
// Numbers are written as numbers and never touched: a numeric cell is not a formula, and every number
// this product writes is non-negative anyway. Text that happens to start with "-" (e.g. "-ugly name")
// is neutralised like any other text, as OWASP asks.
import { redact } from './redact.js';

const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** One cell of any CSV or spreadsheet export: secrets removed, formulas neutralised, numbers as they are. */
export function exportCell<T extends string | number | null | undefined>(value: T): T | string {
  if (typeof value !== 'string') return value;
  return neutraliseFormula(redact(value));
}
