"""A union's statistics: figures for an organization and everything below it, from SQL
aggregates, as a page with inline SVG charts and as the XLSX 年度工作统计."""
