;; compaction-floor: a ZeroClaw hook plugin written by hand in WebAssembly text.
;;
;; It handles one event, before-compaction, and cancels it when fewer than 8 messages would
;; be summarized. This is a core module using the component model's canonical ABI directly:
;; `zeroclaw plugins build` fills in every other export of the world as a trapping stub (the
;; host never calls them: handles() does not name them), adds `cabi_realloc`, and wraps it
;; into a component with `wasm-tools component embed` + `component new`.
(module
  (memory (export "memory") 1)

  ;; handles() -> list<event>: a (pointer, length) pair at 8 pointing at one enum byte at 0.
  ;; before-compaction is case 16 of `event` (counting from on-gateway-start = 0).
  (data (i32.const 0) "\10")
  (data (i32.const 8) "\00\00\00\00\01\00\00\00")

  ;; The cancel reason, 57 bytes (0x39) at 64.
  (data (i32.const 64) "compaction-floor: fewer than 8 messages, kept as they are")

  ;; before-compaction-result at 128: `unchanged` is case 0, nothing else to set.
  ;; At 144: `cancel` is case 2, its payload record{reason: string} at offset 4: the
  ;; string's pointer (64) and length.
  (data (i32.const 128) "\00")
  (data (i32.const 144) "\02\00\00\00\40\00\00\00\39\00\00\00")

  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32)
    i32.const 8)

  ;; before-compaction(event: record{session-id: string, messages: u32,
  ;; estimated-tokens: u32}) -> before-compaction-result. The record arrives flattened:
  ;; the session id's pointer and length, then the two numbers. The result is returned
  ;; as a pointer to it in linear memory.
  (func (export "zeroclaw:hooks/handler@1.0.0#before-compaction")
    (param $session_ptr i32) (param $session_len i32)
    (param $messages i32) (param $estimated_tokens i32)
    (result i32)
    (if (result i32) (i32.lt_u (local.get $messages) (i32.const 8))
      (then (i32.const 144))
      (else (i32.const 128))))
)
