"""The session's edge server: FIFO servers that batch the passes waiting when one falls free."""
import simpy

from cosim.session.edge import EdgeServer


def _serve(capacity: int, max_batch: int, joins: list[float]):
    env = simpy.Environment()
    batches = []

    def seconds(passes):
        batches.append(list(passes))
        return 1.0 + 0.5 * (len(passes) - 1)  # a batch of b passes: 1 s + 0.5 s per extra pass

    edge = EdgeServer(env, capacity, max_batch, seconds)
    times, loads = {}, {}

    def request(i, t):
        yield env.timeout(t)
        loads[i] = edge.load
        times[i] = yield from edge.run(i)

    for i, t in enumerate(joins):
        env.process(request(i, t))
    env.run()
    return times, batches, loads


def test_one_at_a_time_is_a_fifo_queue():
    times, batches, _ = _serve(1, 1, [0, 0, 0.5])
    assert times == {0: (0, 1), 1: (1, 2), 2: (2, 3)} and batches == [[0], [1], [2]]


def test_a_free_server_takes_up_to_max_batch_of_the_waiting_in_order():
    times, batches, loads = _serve(2, 2, [0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert batches == [[0], [1], [2, 3], [4, 5]]
    assert times[2] == times[3] == (1, 2.5) and times[4] == times[5] == (1.1, 2.6)
    assert loads[0] == 0 and loads[1] == 0.5 and loads[5] == 2.5  # in service and waiting, per server
