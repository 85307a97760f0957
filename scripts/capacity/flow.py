"""
The flow whose requests the capacity benchmark records: start -> a foreach of WIDTH tasks -> join -> end, run with
the metadata service as provider. The first task of the foreach fails on its first attempt and `@retry` runs it
again, as a spot interruption or a flaky read would. Every step stores a small artifact, as real steps do.
"""
from typing import Any

from metaflow import FlowSpec, Parameter, current, retry, step  # type: ignore  # retry: exported at run time


class CapacityFlow(FlowSpec):
    # At run time the attribute reads as the parameter's int value (Any: what the type checker cannot know).
    width: Any = Parameter("width", default=3, type=int)

    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.work, foreach="items")

    @retry(times=1, minutes_between_retries=0)
    @step
    def work(self):
        value = self.input
        assert value is not None
        if value == 0 and current.retry_count == 0:
            raise RuntimeError("capacity bench: the first attempt of the first task fails on purpose")
        self.result = value * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.result for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    CapacityFlow()
