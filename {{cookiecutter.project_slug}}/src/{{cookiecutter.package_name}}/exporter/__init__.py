"""The exporter: everything between your model and a verified, reusable SavedModel.

You do not edit these modules. Your room is beside this package: `model.py`, `data.py`
and the model doc; the commands (`train`, `export`, `scan`, `publish`, `bench`) call in here.
"""
