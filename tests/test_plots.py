"""Module 1's figure says what it shows and labels its fictional data (every figure of every
module is checked for drawing something in test_shown.py)."""

import matplotlib

from course.plots.first_contact import trust_over_time

matplotlib.use("Agg")


def test_trust_figure_has_both_sites_labelled_fictional():
    fig = trust_over_time()
    ax = fig.axes[0]
    assert len(ax.lines) == 2
    labels = [line.get_label() for line in ax.lines]
    assert all("fictional" in label for label in labels)
    assert "fictional" in ax.get_title()
    assert ax.get_xlabel() and ax.get_ylabel()


def test_a_figure_with_alt_text_is_shown_as_an_image_that_says_what_it_shows():
    from matplotlib.figure import Figure

    from course.plots import figure_html, with_alt
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    assert figure_html(fig) is None   # no alt text: left to the PNG
    with_alt(fig, 'A line falling from 1 to 0 ("fictional").')
    html = figure_html(fig)
    assert html.startswith('<img src="data:image/png;base64,')
    assert 'alt="A line falling from 1 to 0 (&quot;fictional&quot;)."' in html


def test_in_a_kernel_a_lesson_figure_is_shown_with_its_alt_text(tmp_path):
    """In a real kernel, as a notebook cell draws it: the inline backend (set up when pyplot is
    first imported) drops earlier Figure formatters, so the HTML form must survive that."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from course.plots.first_contact import trust_over_time\ntrust_over_time();")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    (shown,) = [o for o in nb.cells[0].outputs if "image/png" in o.get("data", {})]
    assert 'alt="Line chart over 12 weeks' in shown["data"]["text/html"]
