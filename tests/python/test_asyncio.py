# SPDX-License-Identifier: LGPL-2.1-or-later
"""The asyncio half of the overrides: `await pc.create_offer_async()` and
friends, with no GLib main loop run by the program."""
import asyncio
import threading

import gi
import pytest

gi.require_version("Gst", "1.0")
gi.require_version("GstRtc", "1.0")
from gi.repository import Gio, Gst, GstRtc  # noqa: E402

from gstrtc.testing import Peer  # noqa: E402

TIMEOUT = 30


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, TIMEOUT))


@pytest.fixture
def peers():
    made = [Peer(name="a", audio=True), Peer(name="b", audio=True)]
    for peer in made:
        peer.start()
    yield made
    for peer in made:
        peer.stop()


async def call(a, b):
    """A whole call in asyncio: offer, answer, trickled candidates."""
    loop = asyncio.get_running_loop()
    remote_set = {a: asyncio.Event(), b: asyncio.Event()}
    handler_threads = set()

    async def deliver(to, mline, candidate):
        await remote_set[to].wait()
        to.pc.add_ice_candidate(mline, None, candidate)

    def on_candidate(to):
        def handler(pc, mline, candidate):
            handler_threads.add(threading.get_ident())
            loop.create_task(deliver(to, mline, candidate))
        return handler

    a.pc.connect("on-ice-candidate", GstRtc.call_soon_threadsafe(on_candidate(b)))
    b.pc.connect("on-ice-candidate", GstRtc.call_soon_threadsafe(on_candidate(a)))

    offer = await a.pc.create_offer_async()
    assert isinstance(offer, str) and "m=video" in offer and "m=audio" in offer
    assert await a.pc.set_local_description_async("offer", offer) is True
    await b.pc.set_remote_description_async("offer", offer)
    remote_set[b].set()
    answer = await b.pc.create_answer_async()
    await b.pc.set_local_description_async(GstRtc.SdpType.ANSWER, answer)
    await a.pc.set_remote_description_async("answer", answer)
    remote_set[a].set()

    connected = GstRtc.PeerConnectionState.CONNECTED
    while not all(p.connection_state == connected and p.frames["video"] >= 10
                  and p.frames["audio"] > 0 for p in (a, b)):
        await asyncio.sleep(0.05)
    stats = await a.pc.get_stats_async()
    return handler_threads, stats


def test_call_from_asyncio(peers):
    a, b = peers
    handler_threads, stats = run(call(a, b))
    # The candidate handlers ran in the asyncio thread, not rtcbin's.
    assert handler_threads == {threading.get_ident()}
    assert isinstance(stats, Gst.Structure)
    assert stats.get_name() == "application/x-rtc-stats"


def test_errors_are_raised_in_the_awaiting_code(peers):
    a, _ = peers

    async def bad():
        with pytest.raises(GstRtc.RtcError) as caught:
            await a.pc.set_remote_description_async("offer", "v=0\r\nnonsense")
        assert caught.value.detail == GstRtc.Error.SDP_SYNTAX_ERROR
        with pytest.raises(GstRtc.RtcError) as caught:
            await a.pc.create_answer_async()
        assert caught.value.detail == GstRtc.Error.INVALID_STATE
        # Still usable afterwards.
        return await a.pc.create_offer_async()

    assert run(bad()).startswith("v=0")


def test_concurrent_calls_complete_in_order(peers):
    """rtcbin runs its operations one at a time, in the order asked:
    gathered futures see that order."""
    a, _ = peers

    async def several():
        first = a.pc.create_offer_async()
        second = a.pc.create_offer_async()
        return await asyncio.gather(first, second)

    first, second = run(several())
    assert first.startswith("v=0") and second.startswith("v=0")


def test_cancelling_the_task_cancels_the_call(peers):
    a, _ = peers

    async def cancel():
        cancellable = Gio.Cancellable()
        future = a.pc.create_offer_async(cancellable=cancellable)
        future.cancel()
        with pytest.raises(asyncio.CancelledError):
            await future
        await asyncio.sleep(0)  # done callbacks run on the next loop turn
        assert cancellable.is_cancelled()
        return await a.pc.create_offer_async()

    assert run(cancel()).startswith("v=0")


def test_without_a_running_asyncio_loop_it_says_so(peers):
    a, _ = peers
    with pytest.raises(RuntimeError):
        a.pc.create_offer_async()
