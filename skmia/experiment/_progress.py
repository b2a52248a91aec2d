"""A skorch callback that shows training progress as one bar over epochs."""

from skorch.callbacks import Callback

__all__ = ["EpochProgressBar"]


class EpochProgressBar(Callback):
    """One :mod:`tqdm` bar over epochs (skorch's ProgressBar shows batches).

    The bar only exists during training, so a fitted net that holds this
    callback still pickles.
    """

    def __init__(self, desc="training"):
        self.desc = desc

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.max_epochs, desc=self.desc, unit="epoch", leave=False)

    def on_epoch_end(self, net, **kwargs):
        if getattr(self, "bar_", None) is not None:
            self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        if getattr(self, "bar_", None) is not None:
            self.bar_.close()
        self.bar_ = None
