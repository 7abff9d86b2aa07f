"""Sub-pixel registration of two scans (drift between biased and unbiased maps).

Plain (not whitened) cross-correlation for the integer shift, then a
least-squares refinement over the overlap (see :func:`register_images`).
Whitened phase correlation fails on shot noise (PHYSICS.md, stem); a Hann
window, needed against wrap-around in the FFT correlation, biases its
sub-pixel peak by up to ~1 px on images with an interface step, which is why
the refinement works in real space. Sub-pixel registration by
cross-correlation: Guizar-Sicairos et al., Opt. Lett. 33, 156 (2008),
doi:10.1364/OL.33.000156.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, optimize

from ssbkit.errors import CalibrationError

from ._checks import as_map

__all__ = ["Registration", "register_images", "shift_image"]


@dataclass(frozen=True)
class Registration:
    """Shift of ``moving`` relative to ``reference``: moving(y, x) ≈ g·reference(y − dy, x − dx) + o.

    Unpacks as ``dy, dx = register_images(reference, moving)``.

    Parameters
    ----------
    dy_px, dx_px : float
        Shift in pixels along axis −2 (y) and −1 (x).
    residual_rms : float
        RMS misfit over the overlap after alignment (smoothed image units).
    success : bool
        False when the refinement did not converge (the integer estimate is returned).
    message : str
        Optimizer message.
    """

    dy_px: float
    dx_px: float
    residual_rms: float
    success: bool
    message: str

    def __iter__(self):
        return iter((self.dy_px, self.dx_px))

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        return {"drift_y_px": self.dy_px, "drift_x_px": self.dx_px, "registration_residual_rms": self.residual_rms,
                "registration_success": self.success}


def _integer_shift(ref, mov):
    taper = np.outer(np.hanning(ref.shape[0]), np.hanning(ref.shape[1]))
    a = np.fft.fft2((ref - ref.mean()) * taper)
    b = np.fft.fft2((mov - mov.mean()) * taper)
    cc = np.fft.ifft2(np.conj(a) * b).real
    peak = np.array(np.unravel_index(np.argmax(cc), cc.shape), float)
    size = np.array(cc.shape)
    peak[peak > size / 2] -= size[peak > size / 2]
    return peak


def register_images(reference, moving, *, smoothing_px: float = 1.0,
                    max_shift_px: float | None = None) -> Registration:
    """Sub-pixel shift of ``moving`` with respect to ``reference``.

    1. Integer shift: peak of the plain cross-correlation of the
       mean-subtracted, Hann-windowed images (no whitening).
    2. Sub-pixel refinement: least squares over the central overlap between
       ``reference`` shifted by −d/2 and ``moving`` shifted by +d/2 (cubic
       splines), with a free gain and offset; minimising this sum of squares
       is maximising the plain cross-correlation over the overlap. Both
       images are first smoothed by a Gaussian of ``smoothing_px`` so the
       noise is band-limited and interpolation does not change its variance
       with the sub-pixel shift (which locks unsmoothed results to
       half pixels).

    Parameters
    ----------
    reference, moving : array_like, shape (ny, nx)
        Images of the same field of view (e.g. simultaneous ADF of the
        unbiased and biased scans, or their total bright-field intensity).
    smoothing_px : float
        Gaussian sigma applied to both images before refinement, pixels.
    max_shift_px : float, optional
        Largest credible shift (default: a quarter of the smaller image side).

    Returns
    -------
    Registration
        ``dy_px, dx_px``: the content of ``moving`` sits at (y + dy, x + dx);
        shift ``moving`` by (−dy, −dx) to align it with ``reference``.

    Raises
    ------
    CalibrationError
        When the images carry no contrast or the shift exceeds ``max_shift_px``.

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[0:48, 0:48]
    >>> ref = np.exp(-((yy - 20.0) ** 2 + (xx - 24.0) ** 2) / 18)
    >>> mov = np.exp(-((yy - 21.5) ** 2 + (xx - 23.0) ** 2) / 18)
    >>> dy, dx = register_images(ref, mov)
    >>> round(dy, 2), round(dx, 2)
    (1.5, -1.0)
    """
    ref = as_map(reference, "reference")
    mov = as_map(moving, "moving", shape=ref.shape)
    if ref.std() == 0 or mov.std() == 0:
        raise CalibrationError("an image to register has no contrast; registration impossible")
    limit = min(ref.shape) / 4 if max_shift_px is None else float(max_shift_px)
    if smoothing_px > 0:
        ref = ndimage.gaussian_filter(ref, smoothing_px, mode="nearest")
        mov = ndimage.gaussian_filter(mov, smoothing_px, mode="nearest")
    start = _integer_shift(ref, mov)
    if np.any(np.abs(start) > limit):
        raise CalibrationError(f"cross-correlation peak at shift {tuple(start)} px exceeds max_shift_px={limit}")
    margin = min(int(np.ceil(limit / 2)) + 2, min(ref.shape) // 4)
    yy, xx = np.mgrid[margin:ref.shape[0] - margin, margin:ref.shape[1] - margin].astype(float)
    coef_ref = ndimage.spline_filter(ref, order=3, mode="nearest")
    coef_mov = ndimage.spline_filter(mov, order=3, mode="nearest")

    def sample(coef, shift):
        return ndimage.map_coordinates(coef, [yy + shift[0], xx + shift[1]], order=3, mode="nearest",
                                       prefilter=False).ravel()

    def residual(shift):
        a = sample(coef_mov, shift / 2)
        b = sample(coef_ref, -shift / 2)
        design = np.column_stack([a, np.ones_like(a)])
        gain, *_ = np.linalg.lstsq(design, b, rcond=None)
        return design @ gain - b

    fit = optimize.least_squares(residual, start, diff_step=1e-3)
    shift = fit.x if fit.success else start
    rms = float(np.sqrt(np.mean(residual(shift) ** 2)))
    return Registration(float(shift[0]), float(shift[1]), rms, bool(fit.success), str(fit.message))


def shift_image(image, dy_px: float, dx_px: float) -> np.ndarray:
    """Shift an image by (dy, dx) pixels (cubic spline, edges extended).

    ``shift_image(moving, -dy, -dx)`` aligns ``moving`` with the reference
    when ``dy, dx = register_images(reference, moving)``.
    """
    return ndimage.shift(np.asarray(image, float), (dy_px, dx_px), order=3, mode="nearest")
