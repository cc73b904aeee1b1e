"""What the export tests share: a foreign checkpoint, a stand-in's, and a model the export is made
to build."""

import pytest
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter import export_lib
from {{ cookiecutter.package_name }}.exporter.checkpoint import model_checkpoint
from {{ cookiecutter.package_name }}.model import build_model

from stand_in import StandIn


@pytest.fixture
def foreign_checkpoint_dir(tmp_path):
    """A checkpoint of another architecture, stored under the same `model` key."""
    other = tf.Module()
    other.kernel = tf.Variable(tf.ones([3, 3]))
    tf.train.Checkpoint(model=other).save(str(tmp_path / "foreign" / "ckpt"))
    return tmp_path / "foreign"


@pytest.fixture(scope="module")
def spare_model():
    """One `build_model()` (seconds for a large model) for the tests that refuse or restore it.

    A refused restore may leave some of its values assigned; a test that reads
    values restores every one first.
    """
    return build_model()


@pytest.fixture
def refusing_model(spare_model, monkeypatch):
    """The export builds `spare_model` (a test that uses this expects it refused)."""
    monkeypatch.setattr(export_lib, "build_model", lambda: spare_model)



@pytest.fixture
def stand_in_checkpoint(tmp_path):
    """A checkpoint of the stand-in (tests/stand_in.py), for tests of the export's machinery.

    Staging, renaming, cleaning up and the servers' checks are the same for any
    model; the stand-in exports in a fraction of the time. What the export does
    with your model is tested on the session's checkpoint.
    """
    return model_checkpoint(model=StandIn()).save(str(tmp_path / "stand_in" / "ckpt"))
