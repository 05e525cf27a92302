# SPDX-License-Identifier: LGPL-2.1-or-later
"""The GstRtc-1.0 GIR documents every public type, function, enum, error
code, property, signal and constant, with every parameter and return value
(gtk-doc comments are what carries the annotations), and nothing is left
out of the typelib as not introspectable without a reason known here."""
import os
import xml.etree.ElementTree as ET

import pytest

CORE = "{http://www.gtk.org/introspection/core/1.0}"
C = "{http://www.gtk.org/introspection/c/1.0}"
DOCUMENTED = ("function", "method", "constructor", "class", "record", "enumeration",
              "bitfield", "interface", "constant", "property", "{http://www.gtk.org/"
              "introspection/glib/1.0}signal", "member", "virtual-method")
# Not introspectable on purpose: C-only helpers (skipped, or taking C
# structs), and libnice's agent (no Nice typelib dependency in ours).
NOT_INTROSPECTABLE_OK = {"gst_rtc_ice_server_parse", "gst_rtc_ice_server_free", "nice-agent",
                         "gst_rtc_signaller_register_value_table"}


@pytest.fixture(scope="module")
def gir():
    build_root = os.environ.get("GST_RTC_BUILD_ROOT")
    if not build_root:
        pytest.skip("GST_RTC_BUILD_ROOT is not set (run through meson test)")
    path = os.path.join(build_root, "gst", "rtc", "GstRtc-1.0.gir")
    assert os.path.exists(path), f"{path} was not built"
    return ET.parse(path)


def name_of(element):
    return (element.get(C + "identifier") or element.get(C + "type") or element.get("name"))


def test_every_public_symbol_is_documented(gir):
    undocumented = []
    for element in gir.iter():
        tag = element.tag.replace(CORE, "")
        if tag not in DOCUMENTED and element.tag not in DOCUMENTED:
            continue
        name = name_of(element)
        # Class and interface structs, and their vfunc slots, are documented
        # through the type they belong to.
        if name.endswith(("Class", "Private", "Interface")):
            continue
        if tag == "virtual-method":
            continue
        if element.find(CORE + "doc") is None:
            undocumented.append(f"{tag} {name}")
    assert not undocumented, "no doc comment: " + ", ".join(sorted(set(undocumented)))


def test_every_parameter_and_return_value_is_documented(gir):
    missing = []
    for element in gir.iter():
        if element.tag.replace(CORE, "") not in ("function", "method", "constructor"):
            continue
        name = name_of(element)
        for parameter in list(element.iter(CORE + "parameter")) + \
                list(element.iter(CORE + "instance-parameter")):
            if parameter.find(CORE + "doc") is None:
                missing.append(f"{name}: @{parameter.get('name')}")
        returned = element.find(CORE + "return-value")
        value_type = returned.find(CORE + "type") if returned is not None else None
        if value_type is not None and value_type.get("name") != "none" and \
                returned.find(CORE + "doc") is None:
            missing.append(f"{name}: Returns")
    assert not missing, "undocumented: " + ", ".join(sorted(set(missing)))


def test_nothing_unexpected_is_left_out(gir):
    left_out = {name_of(element) for element in gir.iter()
                if element.get("introspectable") == "0"}
    unexpected = left_out - NOT_INTROSPECTABLE_OK
    assert not unexpected, unexpected
