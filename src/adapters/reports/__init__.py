"""Reports people open in a browser: one self-contained HTML file each, charts drawn as
inline SVG in Python - no script, no CDN, nothing fetched, readable offline for years."""
