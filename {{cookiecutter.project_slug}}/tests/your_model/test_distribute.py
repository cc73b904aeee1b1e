{%- set multi_worker = cookiecutter.__builder in ("module", "tf_keras") -%}
{%- set mirrored = multi_worker or not cookiecutter.__inputs == "text" -%}
"""Training under tf.distribute writes a checkpoint that restores strictly on one CPU.

The export restores exactly so, with no strategy; its own tests cover the rest.

On one machine: MirroredStrategy over two logical CPU devices, and
MultiWorkerMirroredStrategy with two worker processes on 127.0.0.1.
"""

{% if multi_worker -%}
import json
import socket
{% endif -%}
import subprocess
import sys
import textwrap

{% if mirrored -%}
import numpy as np
{% endif -%}
import pytest
{% if mirrored -%}
import tensorflow as tf
{% endif %}
{% if mirrored -%}
from {{ cookiecutter.package_name }}.exporter.restore import restore
from {{ cookiecutter.package_name }}.model import build_model
{% endif -%}
{% if not multi_worker -%}
from {{ cookiecutter.package_name }}.train import make_strategy
{% endif %}
WORKER_TIMEOUT = 300  # Seconds; a worker waiting for a dead peer would otherwise hang.
{% if mirrored %}

def assert_restores_on_one_cpu(checkpoint_dir, inputs):
    """Every variable of build_model() is read from the checkpoint, with no strategy in scope."""
    model = build_model()
    restored = restore(model, checkpoint_dir)
    assert restored.num_variables == len(model.variables)
    assert not restored.not_restored
    # Called eagerly: finite outputs need no trace (seconds for a large model).
    outputs = model(tf.nest.map_structure(tf.constant, inputs), training=False)
    for output in tf.nest.flatten(outputs):
        assert not output.dtype.is_floating or np.isfinite(output).all()
{%- endif %}


def two_cpu_devices_script(body):
    """Python code that splits the CPU into two logical devices, then runs `body`."""
    return textwrap.dedent("""
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        two = [tf.config.LogicalDeviceConfiguration()] * 2
        tf.config.set_logical_device_configuration(cpu, two)
    """) + textwrap.dedent(body)
{% if mirrored %}

def test_mirrored_over_two_cpu_devices(tmp_path, env, inputs):
    checkpoint_dir = tmp_path / "checkpoints"
    script = two_cpu_devices_script(f"""
        from {{ cookiecutter.package_name }}.exporter.train_lib import train
        from {{ cookiecutter.package_name }}.train import make_strategy

        strategy = make_strategy("mirrored")
        assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
        train({str(checkpoint_dir)!r}, epochs=1, num_examples=8, batch_size=8,
              strategy=strategy, run_eagerly=True)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True,
        timeout=WORKER_TIMEOUT, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_restores_on_one_cpu(checkpoint_dir, inputs)
{%- else %}

def test_mirrored_over_two_devices_is_refused_with_keras_3_text(env):
    script = two_cpu_devices_script("""
        from {{ cookiecutter.package_name }}.train import make_strategy

        make_strategy("mirrored")
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True,
        timeout=WORKER_TIMEOUT, check=False,
    )
    assert result.returncode == 1
    assert "Keras 3's fit cannot split string inputs over several replicas" in result.stderr
{%- endif %}
{% if not multi_worker %}

def test_multi_worker_is_refused_at_once_with_keras_3():
    """Before any worker starts waiting for the others."""
    with pytest.raises(ValueError, match="Keras 3's fit does not train under MultiWorker"):
        make_strategy("multi_worker")
{% else %}

def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_multi_worker_with_two_processes(tmp_path, env, inputs):
    # Traced, as `train` runs by default: the suite's other trainings run eagerly.
    checkpoint_dir = tmp_path / "checkpoints"
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "{{ cookiecutter.package_name }}.train",
             "--strategy", "multi_worker", "--checkpoint_dir", str(checkpoint_dir),
             "--epochs", "1", "--num_examples", "8", "--batch_size", "8"],
            env={**env, "TF_CONFIG": json.dumps({
                "cluster": cluster, "task": {"type": "worker", "index": index},
            })},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for index in range(2)
    ]
    try:
        outputs = [worker.communicate(timeout=WORKER_TIMEOUT)[0] for worker in workers]
    except subprocess.TimeoutExpired:
        for worker in workers:
            worker.kill()
        pytest.fail(f"the workers did not finish within {WORKER_TIMEOUT} s")
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output[-3000:]
        assert "replicas in sync: 2" in output
    # The chief wrote the checkpoint; the other worker's scratch copy (inside it) is gone.
    assert tf.train.latest_checkpoint(str(checkpoint_dir))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoints"]
    assert not list(checkpoint_dir.glob("workertemp_*"))
    assert_restores_on_one_cpu(checkpoint_dir, inputs)
{% endif %}
