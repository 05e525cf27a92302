# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject overrides for GstRtc (gst-rtc's GObject-introspection namespace).

Loaded by PyGObject by itself on ``from gi.repository import GstRtc`` when
this file's directory is a ``gi/overrides`` directory on ``sys.path`` (meson
installs it into ``<python site dir>/gi/overrides``; ``scripts/env.sh`` puts
the source tree's ``python/`` on ``PYTHONPATH``).

What it adds, on top of the plain introspected API:

* ``GstRtc.Bin`` (the ``rtcbin`` element) gets blocking methods built on its
  ``*_async``/``*_finish`` pairs::

      offer = pc.create_offer()                 # the SDP text
      pc.set_local_description("offer", offer)
      pc.set_remote_description("answer", answer)

  They wait for the result on a private ``GLib.MainContext`` (so they work
  from any thread, inside or outside a running ``GLib.MainLoop``, without
  dispatching anything else of the application) and raise
  :class:`RtcError` on failure.

* The same ``*_async`` methods, called **without a callback**, return an
  :class:`asyncio.Future` of the current asyncio loop instead::

      offer = await pc.create_offer_async()

  With a callback they behave exactly as the plain introspected method
  (``pc.create_offer_async(None, None, callback, data)``), as with
  PyGObject 3.50's own awaitable support, which Debian 12's 3.42 lacks.
  GLib delivers an async result in the main context that was the
  thread-default one when the call was made; the bridge makes the call from
  one private thread that runs a GLib main loop of its own, and hands the
  result to asyncio with ``loop.call_soon_threadsafe``. The asyncio program
  needs no GLib main loop of its own.

* :class:`RtcError`, a ``GLib.Error`` subclass raised by all of the above,
  carrying the GError domain, code and message, and the code as a
  ``GstRtc.Error`` member in ``detail`` for errors of the gst-rtc domain.

* :func:`call_soon_threadsafe`: wraps a signal handler so that it runs in an
  asyncio loop (rtcbin emits its signals from its own threads).
"""
import asyncio
import functools
import threading

from ..module import get_introspection_module
from ..overrides import override

from gi.repository import GLib, Gio

GstRtc = get_introspection_module("GstRtc")

__all__ = []

ERROR_DOMAIN = "gst-rtc-error-quark"
__all__.append("ERROR_DOMAIN")


class RtcError(GLib.Error):
    """A failed gst-rtc call: the ``GError`` as a Python exception.

    ``domain`` is the GError domain as a string (``"gst-rtc-error-quark"`` for
    gst-rtc's own errors), ``code`` its integer code and ``message`` its text.
    ``detail`` is the code as a ``GstRtc.Error`` member (``SDP_SYNTAX_ERROR``,
    ``INVALID_STATE``...) when the domain is gst-rtc's, else ``None``.
    It is a ``GLib.Error``, so ``except GLib.Error`` catches it too.
    """

    def __init__(self, message="unknown error", domain=ERROR_DOMAIN, code=0):
        super().__init__(message, domain, code)

    @property
    def detail(self):
        if self.domain != ERROR_DOMAIN:
            return None
        try:
            return GstRtc.Error(self.code)
        except ValueError:
            return None

    def __str__(self):
        detail = self.detail
        name = detail.value_nick if detail is not None else f"{self.domain}:{self.code}"
        return f"{name}: {self.message}"

    @classmethod
    def from_gerror(cls, error):
        return cls(error.message, error.domain, error.code)


__all__.append("RtcError")


def _as_sdp_type(value):
    """A GstRtc.SdpType from one, or from its W3C name ("offer", "answer"...)."""
    if isinstance(value, GstRtc.SdpType):
        return value
    if isinstance(value, str):
        try:
            return getattr(GstRtc.SdpType, value.upper())
        except AttributeError:
            raise ValueError(f"not an SDP type: {value!r} "
                             "(offer, pranswer, answer or rollback)") from None
    return GstRtc.SdpType(value)


# -- waiting for a GAsyncResult, blocking ------------------------------------

def run_sync(start, finish, *args, timeout=None):
    """Calls ``start(*args, cancellable, callback)`` (an introspected
    ``*_async`` function) and returns ``finish(source, result)``, waiting on a
    private main context. Raises :class:`RtcError` on failure and
    ``TimeoutError`` (after cancelling the call) when ``timeout`` seconds
    pass first."""
    context = GLib.MainContext()
    cancellable = Gio.Cancellable()
    results = []
    expired = []

    def on_ready(source, result, *user_data):
        results.append((source, result))

    context.push_thread_default()
    timer = None
    try:
        start(*args, cancellable, on_ready)
        if timeout is not None:
            timer = GLib.Timeout(int(timeout * 1000))
            timer.set_callback(lambda *unused: expired.append(True) or GLib.SOURCE_REMOVE)
            timer.attach(context)
        while not results and not expired:
            context.iteration(True)
    finally:
        if timer is not None:
            timer.destroy()
        context.pop_thread_default()
    if not results:
        cancellable.cancel()
        raise TimeoutError(f"{getattr(start, '__name__', 'call')}: no result after {timeout} s")
    source, result = results[0]
    try:
        return finish(source, result)
    except GLib.Error as error:
        raise RtcError.from_gerror(error) from None


__all__.append("run_sync")


# -- the asyncio bridge -------------------------------------------------------

class _GLibThread:
    """One daemon thread running a GLib main loop on a context of its own;
    async calls for asyncio are started from it, so their callbacks come back
    to it, wherever the asyncio loop runs."""

    _lock = threading.Lock()
    _instance = None

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def __init__(self):
        self.context = GLib.MainContext()
        self.loop = GLib.MainLoop(self.context)
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,),
                                       name="gstrtc-asyncio-bridge", daemon=True)
        self.thread.start()
        started.wait()

    def _run(self, started):
        self.context.push_thread_default()
        started.set()
        self.loop.run()

    def invoke(self, function):
        """Runs ``function()`` soon in the bridge thread."""
        source = GLib.Idle()
        source.set_callback(lambda *unused: function() or GLib.SOURCE_REMOVE)
        source.attach(self.context)


def _settle(future, value=None, exception=None):
    if future.done():  # cancelled meanwhile
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(value)


def run_asyncio(start, finish, *args, cancellable=None):
    """Starts ``start(*args, cancellable, callback)`` (an introspected
    ``*_async`` function) and returns an :class:`asyncio.Future`, of the
    running asyncio loop, for ``finish(source, result)``. Cancelling the
    future cancels the call (through its ``GCancellable``). Raises
    ``RuntimeError`` when no asyncio loop runs in this thread."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    if cancellable is None:
        cancellable = Gio.Cancellable()

    def on_ready(source, result, *user_data):
        try:
            value = finish(source, result)
        except GLib.Error as error:
            loop.call_soon_threadsafe(_settle, future, None, RtcError.from_gerror(error))
        except Exception as error:  # noqa: BLE001 - handed to the awaiting code
            loop.call_soon_threadsafe(_settle, future, None, error)
        else:
            loop.call_soon_threadsafe(_settle, future, value)

    def begin():
        try:
            start(*args, cancellable, on_ready)
        except Exception as error:  # noqa: BLE001
            loop.call_soon_threadsafe(_settle, future, None, error)

    future.add_done_callback(lambda f: cancellable.cancel() if f.cancelled() else None)
    _GLibThread.get().invoke(begin)
    return future


__all__.append("run_asyncio")


def call_soon_threadsafe(handler, loop=None):
    """Wraps ``handler`` so that calling the wrapper, from any thread (as
    rtcbin does when it emits a signal), runs ``handler`` with the same
    arguments in the asyncio ``loop`` (by default the one running where this
    is called)::

        pc.connect("on-ice-candidate", GstRtc.call_soon_threadsafe(on_candidate))
    """
    if loop is None:
        loop = asyncio.get_running_loop()

    @functools.wraps(handler)
    def wrapper(*args):
        loop.call_soon_threadsafe(handler, *args)

    return wrapper


__all__.append("call_soon_threadsafe")


# -- GstRtc.Bin ---------------------------------------------------------------

_Bin = GstRtc.Bin


class Bin(_Bin):
    """rtcbin with blocking and awaitable offer/answer calls; see the
    module's documentation."""

    # blocking ---------------------------------------------------------------

    def create_offer(self, options=None, timeout=None):
        """W3C createOffer: returns the offer's SDP text."""
        return run_sync(_Bin.create_offer_async, _Bin.create_offer_finish,
                        self, options, timeout=timeout)

    def create_answer(self, options=None, timeout=None):
        """W3C createAnswer: returns the answer's SDP text."""
        return run_sync(_Bin.create_answer_async, _Bin.create_answer_finish,
                        self, options, timeout=timeout)

    def set_local_description(self, sdp_type, sdp=None, timeout=None):
        """W3C setLocalDescription; ``sdp_type`` is "offer", "answer",
        "pranswer", "rollback" or a ``GstRtc.SdpType``; ``sdp`` None sets the
        last one created of that type."""
        run_sync(_Bin.set_local_description_async, _Bin.set_local_description_finish,
                 self, _as_sdp_type(sdp_type), sdp, timeout=timeout)

    def set_remote_description(self, sdp_type, sdp, timeout=None):
        """W3C setRemoteDescription."""
        run_sync(_Bin.set_remote_description_async, _Bin.set_remote_description_finish,
                 self, _as_sdp_type(sdp_type), sdp, timeout=timeout)

    def add_ice_candidate(self, mline_index, mid, candidate):
        """W3C addIceCandidate (``candidate`` None or "" at the end of
        candidates); raises :class:`RtcError`."""
        try:
            return _Bin.add_ice_candidate(self, mline_index, mid, candidate)
        except GLib.Error as error:
            if isinstance(error, RtcError):
                raise
            raise RtcError.from_gerror(error) from None

    def add_turn_server(self, uri):
        try:
            return _Bin.add_turn_server(self, uri)
        except GLib.Error as error:
            if isinstance(error, RtcError):
                raise
            raise RtcError.from_gerror(error) from None

    # asyncio, or the plain introspected call with a callback ---------------

    def create_offer_async(self, options=None, cancellable=None, callback=None, *user_data):
        """With ``callback``: the introspected call. Without: an asyncio
        future of the offer's SDP text."""
        if callback is not None:
            return _Bin.create_offer_async(self, options, cancellable, callback, *user_data)
        return run_asyncio(_Bin.create_offer_async, _Bin.create_offer_finish,
                           self, options, cancellable=cancellable)

    def create_answer_async(self, options=None, cancellable=None, callback=None, *user_data):
        """With ``callback``: the introspected call. Without: an asyncio
        future of the answer's SDP text."""
        if callback is not None:
            return _Bin.create_answer_async(self, options, cancellable, callback, *user_data)
        return run_asyncio(_Bin.create_answer_async, _Bin.create_answer_finish,
                           self, options, cancellable=cancellable)

    def set_local_description_async(self, sdp_type, sdp=None, cancellable=None, callback=None,
                                    *user_data):
        """With ``callback``: the introspected call. Without: an asyncio
        future (of True)."""
        sdp_type = _as_sdp_type(sdp_type)
        if callback is not None:
            return _Bin.set_local_description_async(self, sdp_type, sdp, cancellable, callback,
                                                    *user_data)
        return run_asyncio(_Bin.set_local_description_async, _Bin.set_local_description_finish,
                           self, sdp_type, sdp, cancellable=cancellable)

    def set_remote_description_async(self, sdp_type, sdp, cancellable=None, callback=None,
                                     *user_data):
        """With ``callback``: the introspected call. Without: an asyncio
        future (of True)."""
        sdp_type = _as_sdp_type(sdp_type)
        if callback is not None:
            return _Bin.set_remote_description_async(self, sdp_type, sdp, cancellable, callback,
                                                     *user_data)
        return run_asyncio(_Bin.set_remote_description_async, _Bin.set_remote_description_finish,
                           self, sdp_type, sdp, cancellable=cancellable)

    def get_stats_async(self, cancellable=None, callback=None, *user_data):
        """With ``callback``: the introspected call. Without: an asyncio
        future of the statistics (a ``Gst.Structure``)."""
        if callback is not None:
            return _Bin.get_stats_async(self, cancellable, callback, *user_data)
        return run_asyncio(_Bin.get_stats_async, _Bin.get_stats_finish,
                           self, cancellable=cancellable)


Bin = override(Bin)
__all__.append("Bin")
