"""Analyses into pages: the report run, the templates' helpers, labels, charts and the index.

Only this layer (and ``cli``) writes output. A run (``run``) is a line of steps: ``templates``
(find the NN-slug notebooks and type their parameters), prepare the inputs, execute each
template with papermill, ``export`` it to HTML, pass it through the privacy ``gate``, publish it
atomically, and record the run (``manifest``: the only reader and writer of the run's JSON) and
the ``index``. Templates call ``display`` (tables and cards, with small-group suppression by
default), ``plots`` (SVG charts) and ``summary`` (the executive summary); ``labels`` holds every
English and Chinese word and every number format.
"""
