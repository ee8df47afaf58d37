"""A small picture of a record's neighbourhood: its links and backlinks, one hop out.

The layout is computed on the server and drawn as inline SVG (templates/includes/record_graph.html):
the record in the middle, each linked record on a circle around it, each node a link to its page.
No script and no external file, so it works without JavaScript and under the strict CSP.
"""

import math

WIDTH, HEIGHT = 640, 420
RADIUS_X, RADIUS_Y = 240, 150
MAX_NODES = 12


def _short(text, length=26):
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def neighbourhood(record, outgoing_groups, backlink_groups):
    """Nodes and edges for the SVG, from the groups already shown in the 'Related records' list."""
    neighbours = {}
    for groups, direction in ((outgoing_groups, "out"), (backlink_groups, "in")):
        for group in groups:
            for link in group["links"]:
                other = link.target if direction == "out" else link.source
                if other.pk == record.pk:
                    continue
                node = neighbours.setdefault(other.pk, {"record": other, "labels": []})
                node["labels"].append(group["label"])
    nodes = list(neighbours.values())
    hidden = max(0, len(nodes) - MAX_NODES)
    nodes = nodes[:MAX_NODES]
    cx, cy = WIDTH / 2, HEIGHT / 2
    for i, node in enumerate(nodes):
        angle = -math.pi / 2 + 2 * math.pi * i / max(1, len(nodes))
        node["x"] = round(cx + RADIUS_X * math.cos(angle), 1)
        node["y"] = round(cy + RADIUS_Y * math.sin(angle), 1)
        node["short"] = _short(node["record"].title)
        node["relation"] = "; ".join(dict.fromkeys(node["labels"]))
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "cx": cx,
        "cy": cy,
        "centre": _short(record.title, 30),
        "nodes": nodes,
        "hidden": hidden,
    }
