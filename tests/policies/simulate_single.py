"""A plain single-location inventory simulator used as a Monte-Carlo oracle in the tests.

Continuous time, vectorised over independent replications (rows), loop over periods and over
the lines inside a period.  Demand lines arrive as a Poisson process (count per period ~
Poisson(rate), times uniform inside the period), sizes iid from a pmf.  Periodic review at
integer times t = 0, R, 2R, ... (after receiving what is due at t) or continuous review after
every line; every order arrives exactly L periods after it is placed; full backordering.
Statistics are taken at line arrivals, which see time averages (PASTA), so they estimate the
analytic time-average measures without bias.
"""
import numpy as np


def simulate(policy, s, Q, line_rate, size_pmf, lead_time, review_period, n_periods, reps,
             seed, warmup=200, buffer=64, misses="backorder"):
    """Per-replication estimates (dict of arrays of length ``reps``).

    lead_time, review_period: integers [periods] (review_period 0 = continuous review);
    policy 'sS' (order up to S = s + Q) or 'snQ' (smallest multiple of Q bringing IP above s).
    misses='emergency': a line that cannot be filled in full is supplied by an emergency order
    from outside and does not touch the stock (instead of being backordered).
    """
    rng = np.random.default_rng(seed)
    sizes = np.arange(len(size_pmf))
    S = s + Q
    NS = np.full(reps, S, dtype=np.int64)
    IP = NS.copy()
    p_time = np.full((reps, buffer), np.inf)
    p_qty = np.zeros((reps, buffer), dtype=np.int64)
    names = ("lines", "hit", "ready", "units", "filled", "oh", "bo", "orders", "cycles",
             "cycle_ok")
    acc = {k: np.zeros(reps) for k in names}

    def receive(upto):
        nonlocal NS
        due = p_time <= upto[:, None]
        NS = NS + np.where(due, p_qty, 0).sum(1)
        p_time[due] = np.inf

    def order(mask, when, record):
        nonlocal IP
        need = mask & (IP <= s)
        if not need.any():
            return
        if policy == "sS":
            qty = S - IP
        else:
            qty = Q * ((s + 1 - IP + Q - 1) // Q)
        qty = np.where(need, qty, 0)
        IP = IP + qty
        free = np.argmax(np.isinf(p_time), axis=1)
        assert np.isinf(p_time[np.arange(reps), free][need]).all(), "pipeline buffer full"
        rows = np.flatnonzero(need)
        p_time[rows, free[rows]] = when[rows] + lead_time
        p_qty[rows, free[rows]] = qty[rows]
        receive(when - 1.0)  # nothing; keeps the signature symmetric
        if lead_time == 0:
            receive(when)
        if record:
            acc["orders"] += need

    for t in range(n_periods + warmup):
        rec = t >= warmup
        now = np.full(reps, float(t))
        if review_period > 0 and rec and (t - lead_time) % review_period == 0 and t >= lead_time:
            receive(now - 1e-9)
            acc["cycles"] += 1
            acc["cycle_ok"] += NS >= 0   # end of the cycle covered by the review at t - L
        receive(now)
        if review_period > 0 and t % review_period == 0:
            order(np.ones(reps, bool), now, rec)
        nl = rng.poisson(line_rate, reps)
        m = int(nl.max())
        if m == 0:
            continue
        times = t + np.sort(rng.random((reps, m)), axis=1)
        for li in range(m):
            act = li < nl
            tau = times[:, li]
            receive(np.where(act, tau, -np.inf))
            k = rng.choice(sizes, size=reps, p=size_pmf)
            oh = np.maximum(NS, 0)
            if rec:
                acc["lines"] += act
                acc["hit"] += act & (oh >= k)
                acc["ready"] += act & (oh > 0)
                acc["units"] += np.where(act, k, 0)
                acc["filled"] += np.where(act, np.minimum(k, oh), 0)
                acc["oh"] += np.where(act, oh, 0)
                acc["bo"] += np.where(act, np.maximum(-NS, 0), 0)
            take = act if misses == "backorder" else act & (oh >= k)
            NS = NS - np.where(take, k, 0)
            IP = IP - np.where(take, k, 0)
            if review_period == 0:
                order(act, tau, rec)
    out = {
        "hit_rate": acc["hit"] / acc["lines"],
        "ready_rate": acc["ready"] / acc["lines"],
        "fill_rate": acc["filled"] / acc["units"],
        "expected_on_hand": acc["oh"] / acc["lines"],
        "expected_backorders": acc["bo"] / acc["lines"],
        "orders_per_period": acc["orders"] / n_periods,
    }
    if review_period > 0:
        out["cycle_service_level"] = acc["cycle_ok"] / acc["cycles"]
    return out
