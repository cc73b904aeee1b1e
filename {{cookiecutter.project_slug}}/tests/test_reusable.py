"""The module class traces the user's network once per `training` value, however it is saved.

Tracing is most of an export's cost for a real-size network (MobileNetV3Small:
about 1.5 s per trace), and each trace is stored in the SavedModel. A stand-in
of the model contract counts the traces: the smallest model there is, with the
input signature of this project's model.
"""

import tensorflow as tf

from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY
from {{ cookiecutter.package_name }}.reusable import ReusableModule, save_reusable

from stand_in import StandIn


def test_network_is_traced_once_per_training_mode_and_never_by_the_save(tmp_path):
    model = StandIn()
    module = ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY)
    assert sorted(model.modes) == [False, True]
    # tf.saved_model.save traces the signatures under a save context of its own, a
    # different key of tf.function's cache: they must call the two traces, not trace anew.
    save_reusable(module, tmp_path)
    assert sorted(model.modes) == [False, True]
    loaded = tf.saved_model.load(str(tmp_path))
    shape = [2, *(dim or 1 for dim in INPUT_SIGNATURE.shape[1:])]  # Any size, if it takes any.
    assert loaded(tf.zeros(shape, INPUT_SIGNATURE.dtype)).shape == [2, 1]
