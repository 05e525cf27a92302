# SPDX-License-Identifier: LGPL-2.1-or-later
"""The GstRtc typelib and the blocking half of the overrides
(python/gi/overrides/GstRtc.py): values back, exceptions carrying the
GError, and the plain introspected calls left as they were."""
import gi
import pytest

gi.require_version("Gst", "1.0")
gi.require_version("GstRtc", "1.0")
from gi.repository import Gio, GLib, Gst, GstRtc  # noqa: E402

Gst.init(None)

SEND_VP8 = ("videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
            "vp8enc deadline=1 ! rtpvp8pay pt=96 ! pc.")


@pytest.fixture
def pipeline():
    pipeline = Gst.parse_launch("rtcbin name=pc " + SEND_VP8)
    pipeline.set_state(Gst.State.PLAYING)
    yield pipeline
    pipeline.set_state(Gst.State.NULL)


@pytest.fixture
def pc(pipeline):
    return pipeline.get_by_name("pc")


def test_typelib_and_overrides_are_loaded():
    assert GstRtc.__name__ == "gi.repository.GstRtc"
    assert GstRtc.Bin.__module__ == "gi.overrides.GstRtc"
    element = Gst.ElementFactory.make("rtcbin")
    assert isinstance(element, GstRtc.Bin)
    assert isinstance(element, Gst.Bin)
    # The library's own types and enums come through the typelib.
    assert GstRtc.SdpType.OFFER.value_nick == "offer"
    assert GstRtc.Error.SDP_SYNTAX_ERROR.value_nick == "sdp-syntax-error"
    assert GLib.quark_to_string(GstRtc.error_quark()) == GstRtc.ERROR_DOMAIN
    assert issubclass(GstRtc.RtcError, GLib.Error)


def test_create_offer_returns_sdp_text(pc):
    offer = pc.create_offer(timeout=20)
    assert isinstance(offer, str)
    assert offer.startswith("v=0\r\n")
    assert "m=video" in offer and "VP8/90000" in offer
    pc.set_local_description("offer", offer, timeout=20)
    assert pc.get_property("signaling-state") == GstRtc.SignalingState.HAVE_LOCAL_OFFER
    # None sets the last one created, as the W3C API's no-argument form.
    pc.set_local_description(GstRtc.SdpType.ROLLBACK)
    assert pc.get_property("signaling-state") == GstRtc.SignalingState.STABLE
    pc.set_local_description("offer")
    assert pc.get_property("local-description").startswith("v=0")


def test_offer_answer_between_two_bins(pc):
    other = Gst.parse_launch("rtcbin name=pc " + SEND_VP8)
    other.set_state(Gst.State.PLAYING)
    try:
        answerer = other.get_by_name("pc")
        offer = pc.create_offer()
        pc.set_local_description("offer", offer)
        answerer.set_remote_description("offer", offer)
        answer = answerer.create_answer()
        assert "a=setup:active" in answer or "a=setup:passive" in answer
        answerer.set_local_description("answer", answer)
        pc.set_remote_description("answer", answer)
        assert pc.get_property("signaling-state") == GstRtc.SignalingState.STABLE
        assert answerer.get_property("signaling-state") == GstRtc.SignalingState.STABLE
    finally:
        other.set_state(Gst.State.NULL)


def test_malformed_sdp_raises_with_the_gerror(pc):
    with pytest.raises(GstRtc.RtcError) as caught:
        pc.set_remote_description("offer", "this is not SDP")
    error = caught.value
    assert error.domain == "gst-rtc-error-quark"
    assert error.detail == GstRtc.Error.SDP_SYNTAX_ERROR
    assert error.code == int(GstRtc.Error.SDP_SYNTAX_ERROR)
    assert error.message and "sdp-syntax-error" in str(error)
    # It is a GLib.Error: code catching that keeps working.
    assert isinstance(error, GLib.Error)
    # The failure changed nothing.
    assert pc.get_property("signaling-state") == GstRtc.SignalingState.STABLE


def test_wrong_state_raises_invalid_state(pc):
    with pytest.raises(GstRtc.RtcError) as caught:
        pc.create_answer()  # no remote offer
    assert caught.value.detail == GstRtc.Error.INVALID_STATE


def test_bad_candidate_raises(pc):
    pc.set_local_description("offer", pc.create_offer())
    with pytest.raises(GLib.Error) as caught:
        pc.add_ice_candidate(0, None, "candidate:garbage")
    assert isinstance(caught.value, GstRtc.RtcError)
    assert caught.value.detail is not None


def test_bad_sdp_type_is_a_value_error(pc):
    with pytest.raises(ValueError):
        pc.set_local_description("offr", "v=0")


def test_run_sync_times_out_and_cancels():
    started = {}

    def never_finishes(cancellable, callback):
        started["cancellable"] = cancellable

    with pytest.raises(TimeoutError):
        GstRtc.run_sync(never_finishes, None, timeout=0.2)
    assert started["cancellable"].is_cancelled()


def test_blocking_call_inside_a_running_main_loop(pc):
    """The blocking methods wait on a private context: they work from a
    handler of the application's main loop and dispatch nothing of it."""
    loop = GLib.MainLoop()
    seen = {}

    def other_source():
        seen["other"] = True
        return GLib.SOURCE_REMOVE

    def in_loop():
        GLib.idle_add(other_source)
        seen["offer"] = pc.create_offer()
        seen["other-before-return"] = seen.get("other", False)
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.idle_add(in_loop)
    GLib.timeout_add_seconds(30, loop.quit)
    loop.run()
    assert seen["offer"].startswith("v=0")
    assert seen["other-before-return"] is False


def test_plain_introspected_calls_still_work(pc):
    """The raw GIO-style call with a callback and user data, and the
    action signals, as tests/interop and existing applications use them."""
    loop = GLib.MainLoop()
    results = {}

    def on_offer(bin_, result, user_data):
        results["user_data"] = user_data
        results["offer"] = bin_.create_offer_finish(result)
        loop.quit()

    pc.create_offer_async(None, None, on_offer, "mine")
    GLib.timeout_add_seconds(30, loop.quit)
    loop.run()
    assert results["user_data"] == "mine"
    assert results["offer"].startswith("v=0")

    promise = Gst.Promise.new()
    pc.emit("create-offer", None, promise)
    assert promise.wait() == Gst.PromiseResult.REPLIED
    assert promise.get_reply().get_string("sdp").startswith("v=0")


def test_cancelled_call_raises(pc):
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    loop = GLib.MainLoop()
    results = {}

    def on_offer(bin_, result):
        try:
            bin_.create_offer_finish(result)
        except GLib.Error as error:
            results["error"] = error
        loop.quit()

    pc.create_offer_async(None, cancellable, on_offer)
    GLib.timeout_add_seconds(30, loop.quit)
    loop.run()
    assert results["error"].matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)


def test_blocking_call_from_on_negotiation_needed():
    """The usual pattern: offer from rtcbin's own on-negotiation-needed
    handler, on rtcbin's thread, with the blocking calls."""
    import threading

    pipeline = Gst.parse_launch("rtcbin name=pc " + SEND_VP8)
    pc = pipeline.get_by_name("pc")
    done = threading.Event()
    results = {}

    def on_negotiation_needed(element):
        try:
            offer = element.create_offer(timeout=20)
            element.set_local_description("offer", offer, timeout=20)
            results["offer"] = offer
        except Exception as error:  # noqa: BLE001 - reported below
            results["error"] = error
        done.set()

    pc.connect("on-negotiation-needed", on_negotiation_needed)
    pipeline.set_state(Gst.State.PLAYING)
    try:
        assert done.wait(30), "on-negotiation-needed never came"
        assert "error" not in results, results
        assert results["offer"].startswith("v=0")
        assert pc.get_property("signaling-state") == GstRtc.SignalingState.HAVE_LOCAL_OFFER
    finally:
        pipeline.set_state(Gst.State.NULL)
