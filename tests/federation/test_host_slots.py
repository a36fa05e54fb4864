"""Per-host request slots: the limit holds, waiters go first come first served, nothing leaks."""

from __future__ import annotations

import asyncio

from federation.host_slots import HostSlots


async def test_host_slots__limit_per_host_first_come_first_served_and_forgotten_when_idle() -> None:
    slots = HostSlots(2)
    order: list[str] = []
    peak = {"a.example": 0, "b.example": 0}

    async def request(host: str, name: str) -> None:
        await slots.acquire(host)
        try:
            peak[host] = max(peak[host], slots.in_flight(host))
            order.append(name)
            await asyncio.sleep(0.01)
        finally:
            slots.release(host)

    await asyncio.gather(*(request("a.example", f"a{n}") for n in range(6)), request("b.example", "b0"))
    assert peak == {"a.example": 2, "b.example": 1}
    assert [name for name in order if name.startswith("a")] == [f"a{n}" for n in range(6)]
    assert slots.in_flight("a.example") == 0 and not slots._busy and not slots._waiting


async def test_host_slots__a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    slots = HostSlots(1)
    await slots.acquire("a.example")
    cancelled = asyncio.create_task(slots.acquire("a.example"))
    after = asyncio.create_task(slots.acquire("a.example"))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    slots.release("a.example")
    await asyncio.wait_for(after, 1)
    assert cancelled.cancelled() and slots.in_flight("a.example") == 1
    slots.release("a.example")
    assert not slots._busy and not slots._waiting


async def test_host_slots__cancelled_right_after_being_handed_a_slot_passes_it_on() -> None:
    slots = HostSlots(1)
    await slots.acquire("a.example")
    first = asyncio.create_task(slots.acquire("a.example"))
    second = asyncio.create_task(slots.acquire("a.example"))
    await asyncio.sleep(0)
    slots.release("a.example")  # hands the slot to `first` ...
    first.cancel()  # ... which is cancelled before it runs
    await asyncio.wait_for(second, 1)
    assert slots.in_flight("a.example") == 1
    slots.release("a.example")
    assert not slots._busy
