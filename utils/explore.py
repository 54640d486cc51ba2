"""Explore a parameter: a live ipywidgets slider in a kernel, a precomputed slider on the static site.

In a live notebook (Jupyter, Colab) :func:`explore` shows an ipywidgets slider that redraws on every move.
Under tests and book builds (``REPRO_QUIET=1``) it instead renders one frame per value once and emits a small
self-contained HTML slider (an ``<input type=range>`` that swaps ``<img>`` frames, no kernel, no network), so the
rendered page stays interactive. Nothing ever waits for input.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from collections.abc import Callable, Sequence

from utils.train import interactive

_ids = itertools.count()


def _figure_png(draw: Callable, value, dpi: int) -> str:
    import matplotlib.pyplot as plt

    fig = draw(value)
    fig = fig if fig is not None else plt.gcf()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def static_slider_html(draw: Callable, values: Sequence, label: str, start_index: int, dpi: int = 80) -> str:
    """HTML for a slider over precomputed frames: ``draw(value)`` returns a matplotlib figure for each value."""
    uid = f"dlm-explore-{next(_ids)}"
    frames = []
    for i, value in enumerate(values):
        png = _figure_png(draw, value, dpi)
        shown = "block" if i == start_index else "none"
        frames.append(
            f'<img alt="{html.escape(label)} = {html.escape(str(value))}" data-value="{html.escape(str(value))}" '
            f'style="display:{shown};max-width:100%" src="data:image/png;base64,{png}">'
        )
    on_input = (
        "var box=this.closest('.dlm-explore');var imgs=box.querySelectorAll('img');"
        "var k=Number(this.value);imgs.forEach(function(im,i){im.style.display=(i===k)?'block':'none';});"
        "box.querySelector('.dlm-explore-value').textContent=imgs[k].dataset.value;"
    )
    return (
        f'<div class="dlm-explore" id="{uid}" style="margin:0.5em 0">'
        f'<label for="{uid}-range" style="font-family:sans-serif;font-size:0.9em">{html.escape(label)} = '
        f'<span class="dlm-explore-value">{html.escape(str(values[start_index]))}</span></label><br>'
        f'<input id="{uid}-range" type="range" min="0" max="{len(values) - 1}" step="1" value="{start_index}" '
        f'style="width:min(100%,420px)" oninput="{on_input}">'
        + "".join(frames)
        + "</div>"
    )


def explore(draw: Callable, values: Sequence, label: str = "value", start=None, live: bool | None = None):
    """Show ``draw(value)`` for a value picked by a slider over ``values`` (at most about a dozen).

    ``draw`` must return a matplotlib figure (or draw into the current one) and should be cheap: compute the
    results beforehand and let ``draw`` only plot them. ``live`` forces the live widget (True) or the static slider
    (False); by default it is live exactly when the notebook is interactive.
    """
    from IPython.display import HTML, display

    values = list(values)
    if not values:
        raise ValueError("explore needs at least one value")
    start_index = values.index(start) if start is not None else len(values) // 2
    if live is None:
        live = interactive()
    if not live:
        display(HTML(static_slider_html(draw, values, label, start_index)))
        return None
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    slider = widgets.SelectionSlider(options=values, value=values[start_index], description=label,
                                     continuous_update=False, style={"description_width": "initial"})

    def show(value):
        fig = draw(value)
        plt.show() if fig is None else display(fig)
        if fig is not None:
            plt.close(fig)

    output = widgets.interactive_output(show, {"value": slider})
    box = widgets.VBox([slider, output])
    display(box)
    return box
