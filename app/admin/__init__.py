"""The administrator's pages: accounts, departments, categories, areas, the audit log."""
