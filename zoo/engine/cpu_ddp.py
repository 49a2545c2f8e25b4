"""Multi-process training on CPU: Ultralytics' own DDP launch, on the gloo backend.

Ultralytics trains on several GPUs by relaunching its trainer in ``torch.distributed.run`` workers (the ``self.ddp``
branch of ``BaseTrainer.train``: ``generate_ddp_command`` cloudpickles {trainer class, args, model, callbacks}, each
worker rebuilds the trainer and trains). On CPU it never takes that branch: ``world_size`` is 0. ``cpu_ddp_trainer``
returns a subclass of any task's zoo trainer that takes the same branch for ``device=cpu`` with N processes and
changes only what assumes CUDA:

- ``world_size`` and ``ddp``: N in the launching process, the launcher's ``WORLD_SIZE`` in each worker;
- ``_setup_ddp``: a gloo process group, the device stays the CPU (Ultralytics sets a CUDA device and NCCL);
- ``_setup_train``: ``DistributedDataParallel`` without ``device_ids`` (Ultralytics passes ``[device.index]``,
  ``[None]`` on CPU, which DDP refuses);
- ``final_eval``: ``best.pt`` is stripped as usual but not validated again (see :meth:`CpuDDPMixin.final_eval`);
- ``train``: a worker leaves the process group when it ends.

zoo's trainers build a YAML model in the launching process (``_BuildsZooModel.train``), so the workers receive
the module, whose classes (the user's blocks included) cloudpickle sends by import path.

Sharding (``build_dataloader``'s ``DistributedSampler``), the gradient all-reduce, the AMP and stop broadcasts,
validation gathered on rank 0 and rank-0 checkpoints are Ultralytics' own. Multi-GPU training is Ultralytics' own
path (``device=0,1``) and does not come here.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from datetime import timedelta

from torch import distributed as dist
from torch import nn
from ultralytics.utils import LOCAL_RANK, LOGGER, RANK, WORLD_SIZE
from ultralytics.utils.torch_utils import strip_optimizer, torch_distributed_zero_first

__all__ = ["CpuDDPError", "CpuDDPMixin", "cpu_ddp_trainer", "check_ddp"]


class CpuDDPError(ValueError):
    """A ``ddp=`` request zoo cannot run (wrong value, a non-CPU device, several datasets)."""


def check_ddp(ddp: object, device: object) -> tuple[int, str | None]:
    """Validate ``ddp=`` and the device it runs on.

    Args:
        ddp (object): Number of local training processes, as the user gave it.
        device (object): The ``device=`` argument (None: not given).

    Returns:
        (tuple[int, str | None]): The process count and the device to train on (``"cpu"`` when ``ddp`` > 1).

    Raises:
        CpuDDPError: For a count that is not an integer >= 1, or ``ddp`` > 1 with a device other than the CPU.
    """
    if isinstance(ddp, bool) or not isinstance(ddp, int) or ddp < 1:
        raise CpuDDPError(f"ddp={ddp!r}: give the number of local CPU training processes, an integer >= 1 (e.g. ddp=2)")
    if ddp == 1:
        return 1, device
    if device is not None and str(device).strip().lower() != "cpu":
        raise CpuDDPError(
            f"ddp={ddp} trains in {ddp} CPU processes and needs device=cpu (got device={device!r}); for several GPUs "
            "leave ddp= out and give them as device=0,1 (Ultralytics' own DDP)"
        )
    return ddp, "cpu"


class _CpuDistributedDataParallel(nn.parallel.DistributedDataParallel):
    """DDP that takes Ultralytics' ``device_ids=[None]`` for a CPU module as no ``device_ids`` (what DDP wants)."""

    def __init__(self, module: nn.Module, device_ids=None, *args, **kwargs):
        super().__init__(module, None if device_ids == [None] else device_ids, *args, **kwargs)


@contextmanager
def _cpu_device_ids():
    """Let ``_setup_train`` wrap a CPU module in DDP.

    ``_setup_train`` reads ``nn.parallel.DistributedDataParallel`` when it wraps; overriding the method would copy
    its hundred lines, so the class is swapped for that call only (a subclass: ``isinstance`` checks still hold).
    """
    original = nn.parallel.DistributedDataParallel
    nn.parallel.DistributedDataParallel = _CpuDistributedDataParallel
    try:
        yield
    finally:
        nn.parallel.DistributedDataParallel = original


class CpuDDPMixin:
    """Ultralytics' DDP branch for a CPU trainer: gloo process group, N local processes.

    Attributes:
        processes (int): Processes the launching process starts (a worker takes ``WORLD_SIZE`` from its launcher).
    """

    processes: int = 2

    # BaseTrainer.__init__ sets world_size 0 and ddp False for a CPU device, then reads ddp at once (integration
    # callbacks run only where no workers are launched); properties give the CPU values from that first assignment.
    @property
    def world_size(self) -> int:
        """Training processes (Ultralytics' value, except on the CPU: ``processes``, or ``WORLD_SIZE`` in a worker)."""
        if getattr(self, "device", None) is not None and self.device.type == "cpu":
            return WORLD_SIZE if LOCAL_RANK != -1 else self.processes
        return self._world_size

    @world_size.setter
    def world_size(self, value: int) -> None:
        self._world_size = value

    @property
    def ddp(self) -> bool:
        """Whether this process launches the workers (the launching process of a CPU run, else Ultralytics' value)."""
        if getattr(self, "device", None) is not None and self.device.type == "cpu":
            return LOCAL_RANK == -1 and self.processes > 1
        return self._ddp

    @ddp.setter
    def ddp(self, value: bool) -> None:
        self._ddp = value

    @property
    def _cpu_rank(self) -> bool:
        """Whether this is a worker of a CPU run."""
        return self.device.type == "cpu" and LOCAL_RANK != -1 and self.world_size > 1

    def train(self):
        """Launch the workers (launching process) or train as one rank (worker), as Ultralytics does on GPUs."""
        try:
            return super().train()
        finally:
            if self._cpu_rank and dist.is_initialized():
                dist.destroy_process_group()

    def _setup_ddp(self):
        """Join the gloo process group; the device stays the CPU."""
        if not self._cpu_rank:
            return super()._setup_ddp()
        dist.init_process_group(backend="gloo", timeout=timedelta(seconds=10800), rank=RANK, world_size=self.world_size)

    def _setup_train(self):
        """Ultralytics' setup; on the CPU its DDP wrap is given no ``device_ids``."""
        if not self._cpu_rank:
            return super()._setup_train()
        with _cpu_device_ids():
            return super()._setup_train()

    def final_eval(self):
        """Strip ``best.pt`` and ``last.pt`` as Ultralytics does; validate ``best.pt`` again only off CPU ranks.

        Ultralytics' final validation opens ``best.pt`` on the rank's CUDA device (its validator picks
        ``cuda:current_device()`` for any rank), which a CPU rank does not have. ``best.pt`` holds the EMA weights
        validated, on all ranks, in the epoch that made them best; its metrics are the checkpoint's ``train_metrics``.
        """
        if not self._cpu_rank:
            return super().final_eval()
        with torch_distributed_zero_first(LOCAL_RANK):
            if RANK == 0:
                ckpt = strip_optimizer(self.last) if self.last.exists() else {}
                if self.best.exists():
                    strip_optimizer(self.best, updates={"train_results": ckpt.get("train_results")})
        if RANK == 0 and self.best.exists():
            LOGGER.info(f"\nCPU DDP: {self.best} was validated in its epoch; validate it again with "
                        f"`zoo val model={self.best}`")


@functools.lru_cache(maxsize=None)
def cpu_ddp_trainer(trainer: type, processes: int) -> type:
    """The subclass of ``trainer`` that trains on the CPU in ``processes`` local processes (see the module docstring).

    Args:
        trainer (type): A zoo trainer class (any task's, or a subclass of one).
        processes (int): Local processes, >= 2.

    Returns:
        (type): ``CpuDDP<Trainer>``; cloudpickle sends it to the workers by value (its bases by import path).
    """
    name = f"CpuDDP{trainer.__name__}"
    return type(name, (CpuDDPMixin, trainer), {"processes": processes, "__module__": __name__, "__qualname__": name,
                                              "__doc__": f"{trainer.__name__} in {processes} CPU processes (gloo)."})

