"""Monte Carlo campaigns: many dispersed runs of one scenario, on Dask, with statistics.

``dockhil campaign CAMPAIGN.toml`` (docs/campaigns.md). The parts:

* :mod:`hil.campaign.spec`: the campaign file and the paths it disperses;
* :mod:`hil.campaign.sampling`: Latin hypercube, uniform, normal, corners, list;
* :mod:`hil.campaign.execute`: one run on a worker, and its row;
* :mod:`hil.campaign.engine`: the Dask cluster, progress, resume, Ctrl-C;
* :mod:`hil.campaign.results`: ``runs.parquet`` and the statistics;
* :mod:`hil.campaign.report`: ``report.html`` and its plots;
* :mod:`hil.campaign.boundary`: the capture boundary along rays;
* :mod:`hil.campaign.replay`: any run again, bit-identically.
"""
