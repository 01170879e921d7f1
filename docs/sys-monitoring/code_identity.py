"""Code objects compare and hash by value (two compiles of one text are equal), are weakly referenceable,
and are not tracked by gc (gc.get_objects() lists none): a registry keys them by identity with
weak references, and finds existing code through functions, generators and frames."""

import gc
import types
import weakref

first = compile("def f(): return 1", "<fact>", "exec")
second = compile("def f(): return 1", "<fact>", "exec")
assert first is not second and first == second and hash(first) == hash(second)
assert len({first, second}) == 1
weakref.ref(first)
assert not gc.is_tracked(first)
assert not any(isinstance(obj, types.CodeType) for obj in gc.get_objects())
assert any(isinstance(obj, types.FunctionType) for obj in gc.get_objects())
print("ok")
