"""A tiny valid dataset written by hand (not by the demo generator), so the loader's tests
do not depend on the demo network.  Tests import it as ``from tiny_dataset import ...``."""
from __future__ import annotations

from pathlib import Path

TINY = {
    "parts": (
        "part,unit_cost,unit_price,lead_time_days,lead_time_sd_days,pack_size,moq,criticality,superseded_by,description\n"
        "P1,10.0,14.0,21,3,1,1,A,,brake pad\n"
        "P2,2.5,3.5,14,0,5,10,B,P3,oil filter (old)\n"
        "P3,2.6,3.6,14,0,5,10,B,,oil filter\n"
        "P4,120,170,40,10,1,1,C,,alternator\n"
    ),
    "locations": (
        "location,parent,kind,transit_days,review_days,emergency_days,emergency_cost,holding_rate,order_cost\n"
        "CW,,central,0,7,2,40,0.2,5\n"
        "RW,CW,regional,3,7,1,25,0.25,3\n"
        "D1,RW,dealer,2,7,1,15,0.25,2\n"
        "D2,RW,dealer,2,7,1,15,0.25,2\n"
    ),
    "demand": (
        "date,part,location,qty,line_id,promised_date\n"
        "2024-01-01,P1,D1,1,L1,2024-01-01\n"
        "2024-01-03,P1,D1,2,L2,2024-01-04\n"
        "2024-01-09,P2,D2,1,L3,2024-01-09\n"
        "2024-01-17,P1,D2,1,L4,2024-01-17\n"
        "2024-02-05,P3,D1,3,L5,2024-02-06\n"
        "2024-02-06,P1,D1,1,L6,2024-02-06\n"
    ),
    "inventory": (
        "part,location,on_hand,on_order,backorders\n"
        "P1,D1,2,0,0\n"
        "P3,D1,5,5,0\n"
        "P1,CW,10,0,0\n"
    ),
    "receipts": (
        "part,location,order_date,qty,received_date,promised_date,order_type\n"
        "P1,D1,2024-01-02,2,2024-01-06,2024-01-06,normal\n"
        "P3,D1,2024-02-05,5,,2024-02-08,normal\n"
        "P1,D2,2024-01-17,1,2024-01-18,2024-01-18,emergency\n"
    ),
    "items": "part,location,stocked,min_qty,max_qty\nP4,D1,false,,\nP1,D1,true,1,4\n",
    "install_base": "location,model,units\nD1,M-100,120\nD2,M-100,80\nD2,M-200,30\n",
    "bom": "model,part,qty_per_unit,failure_rate\nM-100,P1,4,0.05\nM-200,P4,1,0.01\n",
}


def write_dataset(folder: Path, tables: dict[str, str] | None = None, **overrides: str | None) -> Path:
    """Write the tiny dataset, with some tables replaced (text) or removed (None)."""
    folder.mkdir(parents=True, exist_ok=True)
    content = dict(TINY if tables is None else tables)
    content.update(overrides)
    for name, text in content.items():
        if text is None:
            continue
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder

