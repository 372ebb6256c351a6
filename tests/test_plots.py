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


def test_in_a_kernel_figures_get_their_html_with_alt_text(tmp_path):
    """In IPython, course.plots registers the HTML form, so the inline backend's display of a
    figure carries the alt text beside the PNG."""
    import subprocess
    import sys
    code = ("from IPython.testing.globalipapp import start_ipython\n"
            "ip = start_ipython()\n"
            "ip.display_formatter.active_types = list(ip.display_formatter.formatters)  # as a kernel\n"
            "import course.plots as p\n"
            "from matplotlib.figure import Figure\n"
            "fig = p.with_alt(Figure(), 'An empty frame.'); fig.add_subplot()\n"
            "data, _ = ip.display_formatter.format(fig)\n"
            "print(sorted(data)); print('alt=\"An empty frame.\"' in data['text/html'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert "'text/html'" in out.stdout and "True" in out.stdout, out.stdout + out.stderr
