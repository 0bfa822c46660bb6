"""The rules engine: dated, cited parameters and rules as data, evaluated column-wise with Polars.

``parameters`` loads and resolves parameters; ``rulebook`` loads tier rulebooks; ``facts`` turns ``Tables``
into one facts frame per ``as_of`` date; ``compile`` turns rules into Polars expressions; ``engine`` runs them
and reads results and traces back out.
"""
