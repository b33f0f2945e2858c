"""A citizen's rights over their data (/mydata, /forget) and the charter's retention rule."""
