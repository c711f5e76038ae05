"""The roofline model the report and the chart share: memory levels, the roof a layer is
measured against, the launch floor, and which theoretical figures are ceilings.

A layer's compulsory bytes (every tensor once) decide its memory level: the smallest level of
clconv-peak's working-set sweep (ceilings.bandwidth_levels) whose size holds them, else the
last one (DRAM). Its level roof is min(compute peak, level bandwidth x intensity); the DRAM
roof (the main, measured bandwidth) is shown as well. A run whose median time is within
NEAR_FLOOR times the empty-kernel launch time is at the launch floor: no kernel change makes
it much faster.
"""
NEAR_FLOOR = 2.0


def bandwidth_levels(bench, peak=None):
    """[{name, bytes, gbps}] ascending by size, from the bench ceilings or the peak file."""
    for doc in (bench.get("ceilings", {}) if bench else {}, peak or {},
                (bench.get("ceilings", {}) if bench else {}).get("peak") or {}):
        levels = doc.get("bandwidth_levels")
        if levels:
            return sorted((dict(L) for L in levels if L.get("gbps", 0) > 0),
                          key=lambda L: L["bytes"])
    return []


def launch_floor_s(bench, peak=None):
    """The empty-kernel launch time in seconds, or None."""
    c = bench.get("ceilings", {}) if bench else {}
    if c.get("launch_floor_s"):
        return float(c["launch_floor_s"])
    for doc in (peak or {}, c.get("peak") or {}):
        floor = (doc.get("launch_floor") or {}).get("seconds")
        if floor:
            return float(floor)
    return None


def row_level(row, levels):
    """The level a row's compulsory bytes fit in (the last level when none holds them)."""
    if not levels:
        return None
    for L in levels:
        if row["bytes"] <= L["bytes"]:
            return L
    return levels[-1]


def level_roof(row, level, gflops):
    """GFLOP/s roof of the row at its level."""
    return min(gflops, level["gbps"] * row["intensity"])


def annotate(bench, peak=None):
    """Adds to every row: level, level_gbps, level_roof_gflops, level_roof_pct,
    exceeds_level_roof, near_launch_floor; returns (levels, floor)."""
    levels = bandwidth_levels(bench, peak)
    floor = launch_floor_s(bench, peak)
    gflops = float(bench["ceilings"]["gflops"])
    main_gbps = float(bench["ceilings"]["gbps"])
    for r in bench["rows"]:
        L = row_level(r, levels)
        if L:
            if L is levels[-1]:  # DRAM: the main measurement of it counts too
                L = dict(L, gbps=max(L["gbps"], main_gbps))
            roof = level_roof(r, L, gflops)
            r["level"], r["level_gbps"] = L["name"], L["gbps"]
            r["level_roof_gflops"] = roof
            r["level_roof_pct"] = 100.0 * r["gflops"] / roof if roof > 0 else None
            r["exceeds_level_roof"] = bool(r["gflops"] and r["gflops"] > roof)
        r["near_launch_floor"] = bool(floor and r.get("median_s") and
                                      r["median_s"] <= NEAR_FLOOR * floor)
    return levels, floor


def theoretical(bench, peak=None):
    """(gflops, basis, is_ceiling): the theoretical float32 estimate; is_ceiling is False when
    it lies below the measured peak (then it is wrong and must not be drawn as a roof).
    (None, basis, False) when not computable."""
    measured = float(bench["ceilings"]["gflops"]) if bench else 0.0
    for doc in (peak, (bench.get("ceilings", {}).get("peak") if bench else None)):
        if doc and isinstance(doc.get("theoretical"), dict):
            t = doc["theoretical"]
            g = t.get("gflops_f32")
            if g:
                g = float(g)
                below = t.get("below_measured")
                if below is None:
                    f32 = (doc.get("flops_f32") or {}).get("gflops") or measured
                    below = g < max(float(f32), measured)
                return g, t.get("basis", ""), not below
            return None, t.get("basis", ""), False
    return None, None, False


def ceiling_check(bench):
    """Runs that exceed a ceiling: a measured kernel faster than the roof means the roof is
    wrong (too low), not that the kernel is fast. Bandwidth is checked against the memory
    level the layer's compulsory bytes fit in (DRAM when no sweep was measured)."""
    c = bench["ceilings"]
    flags = []
    for r in bench["rows"]:
        if r["gflops"] and r["gflops"] > c["gflops"]:
            flag = {"name": r["name"], "algo": r["algo"], "mode": r["mode"],
                    "ceiling": "compute", "measured": r["gflops"], "roof": c["gflops"],
                    "unit": "GFLOP/s"}
            executed = r.get("executed_flops")
            if executed and r.get("flops") and executed < r["flops"]:
                # Winograd or skipped zero taps: fewer operations than the convention counts
                flag["executed_gflops"] = r["gflops"] * executed / r["flops"]
                flag["explained"] = flag["executed_gflops"] <= c["gflops"]
            flags.append(flag)
        roof_gbps = max(c["gbps"], r.get("level_gbps") or 0)
        if r["gbps"] and r["gbps"] > roof_gbps:
            flags.append({"name": r["name"], "algo": r["algo"], "mode": r["mode"],
                          "ceiling": f"bandwidth ({r.get('level') or 'DRAM'})",
                          "measured": r["gbps"], "roof": roof_gbps, "unit": "GB/s"})
    return flags
