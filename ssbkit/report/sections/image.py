"""Report section "image": calibrated SEM and STEM electron images (SE, BSE, HAADF…) with scale bars.

A thin adapter: each file is read with :func:`eds.read_image` (vendor TIFF with
FEI/Thermo, Zeiss or ImageJ scale tags, DigitalMicrograph .dm3/.dm4, Velox
.emd, HyperSpy .hspy/.zspy and the images inside a Bruker .bcf, JEOL .img or
Phenom .elid) and shown with a scale bar from the file's pixel size. The
manifest may give the pixel size of a file that does not calibrate its images;
otherwise an uncalibrated image is shown without a scale bar and the section
says so. ``ssbkit params image`` prints the declaration.
"""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt

import eds
from ssbkit.report.formatting import format_number
from ssbkit.report.parameters import Param
from ssbkit.report.registry import Figure, Quantity, Section, SectionInput, Table, register, save_figure

PARAMETERS = (
    Param("image_title", "string", "regular expression the image title must match (e.g. 'HAADF|DF-S'), for "
          "files holding several images or element maps"),
    Param("image_index", "integer", "which image of a file (after the title filter)", default=0, minimum=0),
    Param("pixel_size_nm", "number", "pixel size of every file (default: from the file)", "nm", minimum=0,
          exclusive_minimum=True),
)


def _read(path, p) -> eds.ElectronImage:
    image = eds.read_image(path, index=p["image_index"], title=p["image_title"])
    if p["pixel_size_nm"] is not None:
        image = dataclasses.replace(image, pixel_size_nm=p["pixel_size_nm"])
    return image


def _probe(files, p) -> None:
    for path in files:
        _read(path, p)


def _field_of_view(image) -> str:
    """``"6.4 × 6.4 µm"`` (width × height), or the size in pixels when uncalibrated."""
    if image.pixel_size_nm is None:
        return f"{image.shape[1]} × {image.shape[0]} px"
    height, width = image.field_of_view_nm
    scale, unit = (1e-3, "µm") if width >= 1e3 else (1.0, "nm")
    return f"{format_number(width * scale, 3)} × {format_number(height * scale, 3)} {unit}"


@register("image", parameters=PARAMETERS, files=(1, None), probe=_probe,
          files_doc="electron images (SEM SE/BSE, STEM HAADF/ADF/BF), one figure each")
def build(inp: SectionInput) -> Section:
    """Each image with a scale bar, its pixel size and field of view."""
    p = inp.parameters
    images = [_read(path, p) for path in inp.files]
    figures, quantities, rows, reasons, summary = [], [], [], [], {}
    for k, (path, image) in enumerate(zip(inp.files, images), start=1):
        fig, ax = plt.subplots(figsize=(5, 5))
        image.plot(ax)
        name = image.title or path.name
        figures.append(Figure(save_figure(fig, inp.figure_dir, f"{inp.figure_prefix}image_{k}.png"),
                              f"{name} ({path.name}), {_field_of_view(image)}"
                              + ("" if image.pixel_size_nm is not None else "; uncalibrated: no scale bar") + "."))
        if image.pixel_size_nm is None:
            reasons.append(f"{path.name} does not calibrate its image: no scale bar (give pixel_size_nm)")
        else:
            quantities.append(Quantity(f"{name}: pixel size", image.pixel_size_nm, "nm"))
        quantities.append(Quantity(f"{name}: field of view", _field_of_view(image), ""))
        rows.append((path.name, name, f"{image.shape[1]} × {image.shape[0]}",
                     format_number(image.pixel_size_nm, 4) if image.pixel_size_nm is not None else "-",
                     format_number(image.beam_energy_kev, 4) if image.beam_energy_kev is not None else "-"))
        summary.update({f"image_{k}_{key}": value for key, value in image.summary().items() if key != "source"})
    used, origins = {}, {}
    if p["pixel_size_nm"] is None and len(images) == 1 and images[0].pixel_size_nm is not None:
        used["pixel_size_nm"], origins["pixel_size_nm"] = images[0].pixel_size_nm, "file"
    table = Table("Images", ("file", "title", "size [px]", "pixel size [nm]", "beam energy [keV]"), tuple(rows))
    headline = (Quantity("electron images (field of view)",
                         "; ".join(f"{im.title or path.name} {_field_of_view(im)}" for path, im in zip(inp.files, images)),
                         ""),)
    return Section(technique="image", title=f"Electron images: {inp.label}", quantities=tuple(quantities),
                   figures=tuple(figures), tables=(table,), parameters=used, origins=origins, summary=summary,
                   result=tuple(images), status="warning" if reasons else "ok", reasons=tuple(reasons),
                   headline=headline)
