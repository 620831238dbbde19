"""The unlock agent: a per-user process that serves unlocked stores over a Unix socket.

`glassdome unlock` starts it (`launch`) and hands it the store it unlocked; every
glassdome process then reads and writes through it (`glassdome.backends.agent`)
without deriving a key, until ``glassdome lock``, the idle timeout or its maximum
lifetime. The process itself is `server.Agent`; what it holds is in `held`; the
wire format and the socket's place in `glassdome.primitives.agent_wire`.
"""
