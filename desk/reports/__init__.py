"""Charter-compliance figures per period and clock, and their outputs (text, CSV, PNG chart, public page)."""
