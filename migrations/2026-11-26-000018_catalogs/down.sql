DROP TABLE catalog_versions;
DROP TABLE catalog_items;
DROP TABLE catalogs;
DROP TABLE catalog_areas;
