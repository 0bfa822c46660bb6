"""Files in and out: reading JSON/CSV/XLSX safely into exchange-format records, and writing them back.

Pure Python (no Django): the import and export services call these and own the database side.
"""
