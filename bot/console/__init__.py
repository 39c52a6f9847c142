"""The console for marketing and sales: SQL aggregations, access control, what-if scoring."""
