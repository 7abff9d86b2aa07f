"""Centre of mass of 4D-STEM diffraction patterns, eager or lazy (dask).

The centre of mass (first moment) of each pattern, k_CoM = Σ k I(k) / Σ I(k),
is the expectation value of the transverse momentum transfer and therefore
the beam deflection θ = λ k_CoM (Müller et al., Nat. Commun. 5, 5653 (2014),
doi:10.1038/ncomms6653; Lazić et al., Ultramicroscopy 160, 265 (2016),
doi:10.1016/j.ultramic.2015.10.011).

One pass over the data suffices: each block of patterns, reshaped to
(n_patterns, n_detector_pixels), is multiplied by a (n_detector_pixels, 3)
matrix of weights [mask, mask·x, mask·y], so no temporary of the size of the
block is created. Numpy arrays and memory maps are processed block by block;
dask arrays stay lazy (one ``map_blocks`` over the scan chunks), so a dataset
larger than memory runs in bounded memory and the same graph runs on a
dask.distributed cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

from ssbkit.errors import CalibrationError

from ._checks import check_positive
from .deflection import Deflection, rotate_vectors, subtract_background

__all__ = ["CenterOfMass", "center_of_mass"]


def _is_dask(array) -> bool:
    return type(array).__module__.startswith("dask.")


@dataclass(frozen=True)
class CenterOfMass:
    """Centre of mass of every diffraction pattern.

    Parameters
    ----------
    com_x, com_y : ndarray or dask.array.Array, shape (scan_y, scan_x)
        Centre of mass along detector axis −1 (x) and −2 (y), detector pixels
        from the corner pixel's centre. Dask arrays while lazy.
    total_intensity : ndarray or dask.array.Array, shape (scan_y, scan_x)
        Summed (masked) intensity of each pattern: a bright-field image.
    detector_shape : tuple of int
        (detector_y, detector_x).
    """

    com_x: Any
    com_y: Any
    total_intensity: Any
    detector_shape: tuple[int, int]

    @property
    def is_lazy(self) -> bool:
        """True while the maps are unevaluated dask arrays."""
        return _is_dask(self.com_x)

    def compute(self, *, progress: bool = False, **compute_kwargs) -> CenterOfMass:
        """Evaluate lazy maps (one pass over the data); eager ones are returned as is.

        Parameters
        ----------
        progress : bool
            Show dask's progress bar.
        **compute_kwargs
            Passed to ``dask.compute`` (e.g. ``scheduler=``).
        """
        if not self.is_lazy:
            return self
        import dask
        from dask.diagnostics import ProgressBar

        if progress:
            with ProgressBar():
                x, y, t = dask.compute(self.com_x, self.com_y, self.total_intensity, **compute_kwargs)
        else:
            x, y, t = dask.compute(self.com_x, self.com_y, self.total_intensity, **compute_kwargs)
        return CenterOfMass(np.asarray(x), np.asarray(y), np.asarray(t), self.detector_shape)

    def to_deflection(self, *, mrad_per_pixel: float, pixel_size_nm: float, rotation_deg: float = 0.0,
                      flip: bool = False, center_px=None, reference: CenterOfMass | None = None,
                      background: str = "none", background_mask=None, image=None) -> Deflection:
        """Convert to a deflection map in the scan frame.

        θ = (k_CoM − k₀) · (mrad per pixel), where k₀ is ``center_px``, the
        CoM of a ``reference`` scan (e.g. vacuum, removing descan), or the
        detector centre; then an optional plane/mean ``background`` (fitted
        over ``background_mask``), then the detector → scan transform R(φ)·F.

        Parameters
        ----------
        mrad_per_pixel : float
            Detector calibration, mrad/pixel (α / R_disk, see
            :func:`stem.calibration.bright_field_disk`).
        pixel_size_nm : float
            Scan step, nm.
        rotation_deg, flip : float, bool
            Scan–detector rotation and flip (see :func:`stem.find_scan_rotation`).
        center_px : (float, float), optional
            Undeflected disk centre (y, x), detector pixels.
        reference : CenterOfMass, optional
            A reference scan of the same shape whose CoM is subtracted.
        background : {"none", "mean", "plane"}
            Background subtracted after the origin.
        background_mask : array_like of bool, optional
            Field-free pixels for the background fit.
        image : array_like, optional
            ADF/HAADF image kept with the map for registration; the total
            intensity when omitted.
        """
        scale = check_positive(mrad_per_pixel, "mrad_per_pixel")
        own = self.compute()
        cx, cy = np.asarray(own.com_x, float), np.asarray(own.com_y, float)
        if reference is not None:
            ref = reference.compute()
            if np.shape(ref.com_x) != cx.shape:
                raise ValueError(f"reference scan has shape {np.shape(ref.com_x)}, expected {cx.shape}")
            dx, dy = cx - ref.com_x, cy - ref.com_y
        else:
            if center_px is None:
                center_px = ((self.detector_shape[0] - 1) / 2.0, (self.detector_shape[1] - 1) / 2.0)
            dy, dx = cy - float(center_px[0]), cx - float(center_px[1])
        dx = subtract_background(dx, method=background, mask=background_mask)
        dy = subtract_background(dy, method=background, mask=background_mask)
        x, y = rotate_vectors(dx * scale, dy * scale, rotation_deg=rotation_deg, flip=flip)
        return Deflection(x, y, pixel_size_nm, own.total_intensity if image is None else image)

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        own = self.compute()
        return {
            "scan_shape": "x".join(str(n) for n in np.shape(own.com_x)),
            "detector_shape": f"{self.detector_shape[0]}x{self.detector_shape[1]}",
            "com_x_mean_px": float(np.mean(own.com_x)),
            "com_y_mean_px": float(np.mean(own.com_y)),
            "com_x_std_px": float(np.std(own.com_x)),
            "com_y_std_px": float(np.std(own.com_y)),
        }

    def plot(self, ax=None):
        """CoM shift from its mean, as arrows on the total intensity; returns the Axes."""
        own = self.compute()
        if ax is None:
            _, ax = plt.subplots()
        ax.imshow(own.total_intensity, cmap="gray")
        u = own.com_x - np.mean(own.com_x)
        v = own.com_y - np.mean(own.com_y)
        step = max(1, max(u.shape) // 24)
        yy, xx = np.mgrid[0:u.shape[0]:step, 0:u.shape[1]:step]
        ax.quiver(xx, yy, u[::step, ::step], v[::step, ::step], color="tab:orange", angles="xy")
        ax.set_xlabel("scan x (px)")
        ax.set_ylabel("scan y (px)")
        ax.set_title("centre of mass − mean")
        return ax


def _weights(detector_shape, mask, dtype) -> np.ndarray:
    ny, nx = detector_shape
    yy, xx = np.indices((ny, nx), dtype=np.float64)
    m = np.ones((ny, nx)) if mask is None else np.asarray(mask, dtype=np.float64)
    return np.stack([m.ravel(), (m * xx).ravel(), (m * yy).ravel()], axis=1).astype(dtype)


def _moments(block, weights, threshold):
    """(…, det_y, det_x) block → (…, 3) array of [Σ I, Σ I x, Σ I y]."""
    block = np.asarray(block)
    if not np.issubdtype(block.dtype, np.floating):
        block = block.astype(np.float32)
    if threshold is not None:
        block = np.where(block >= threshold, block, 0).astype(block.dtype, copy=False)
    lead = block.shape[:-2]
    flat = block.reshape(int(np.prod(lead)), -1)
    out = flat @ weights.astype(flat.dtype, copy=False)
    return out.reshape(lead + (3,)).astype(np.float64)


def _check_data(data4d):
    shape = tuple(getattr(data4d, "shape", ()))
    if len(shape) != 4:
        raise ValueError(f"data4d must be 4D (scan_y, scan_x, detector_y, detector_x), got shape {shape}")
    if min(shape) == 0:
        raise ValueError(f"data4d is empty, shape {shape}")
    return shape


def _finish(moments, detector_shape):
    total = moments[..., 0]
    if np.any(total <= 0):
        raise CalibrationError("some patterns have zero or negative total intensity; CoM undefined")
    return CenterOfMass(moments[..., 1] / total, moments[..., 2] / total, total, detector_shape)


def _lazy(data4d, weights, threshold, detector_shape):
    import dask.array as da

    if len(data4d.chunks[2]) > 1 or len(data4d.chunks[3]) > 1:
        data4d = data4d.rechunk({2: -1, 3: -1})
    moments = da.map_blocks(
        _moments, data4d, weights, threshold, drop_axis=(2, 3), new_axis=2,
        chunks=data4d.chunks[:2] + ((3,),), dtype=np.float64,
    )
    total = moments[..., 0]
    return CenterOfMass(moments[..., 1] / total, moments[..., 2] / total, total, detector_shape)


def center_of_mass(data4d, *, mask=None, threshold: float | None = None, rows_per_block: int | None = None,
                   progress: bool = False) -> CenterOfMass:
    """Centre of mass of each diffraction pattern of a 4D-STEM dataset.

    k_CoM = Σ_k k I(k) / Σ_k I(k) over detector pixels (Müller et al. 2014,
    doi:10.1038/ncomms6653), optionally over a ``mask`` and with pixels below
    ``threshold`` set to zero.

    Parameters
    ----------
    data4d : ndarray, numpy.memmap or dask.array.Array
        Shape (scan_y, scan_x, detector_y, detector_x), counts.
    mask : array_like, shape (detector_y, detector_x), optional
        Detector weights (1 inside, 0 outside), e.g. a bright-field disk mask.
    threshold : float, optional
        Counts below this are ignored (creates one temporary per block).
    rows_per_block : int, optional
        Scan rows per block for numpy/memmap input (default: ~64 MiB blocks).
    progress : bool
        Show a progress bar over blocks (numpy/memmap input).

    Returns
    -------
    CenterOfMass
        Lazy (dask) maps for dask input — call ``.compute()`` — else numpy.

    Examples
    --------
    >>> import numpy as np
    >>> data = np.zeros((1, 1, 5, 5)); data[0, 0, 1, 3] = 1.0
    >>> com = center_of_mass(data)
    >>> float(com.com_x[0, 0]), float(com.com_y[0, 0])
    (3.0, 1.0)
    """
    shape = _check_data(data4d)
    detector_shape = shape[2:]
    if mask is not None and np.shape(mask) != detector_shape:
        raise ValueError(f"mask has shape {np.shape(mask)}, expected detector shape {detector_shape}")
    # float64 data keep float64 weights; everything else is reduced in float32 (integers are cast per block)
    dtype = np.float64 if np.dtype(data4d.dtype) == np.float64 else np.float32
    weights = _weights(detector_shape, mask, dtype)
    if _is_dask(data4d):
        return _lazy(data4d, weights, threshold, detector_shape)
    bytes_per_row = shape[1] * shape[2] * shape[3] * max(4, np.dtype(data4d.dtype).itemsize)
    rows = rows_per_block or max(1, int(64 * 2**20 // bytes_per_row))
    moments = np.empty(shape[:2] + (3,))
    starts = range(0, shape[0], rows)
    for start in tqdm(starts, disable=not progress, desc="centre of mass", unit="block"):
        moments[start:start + rows] = _moments(data4d[start:start + rows], weights, threshold)
    return _finish(moments, detector_shape)
