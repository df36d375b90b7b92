;; my-hook: a ZeroClaw hook plugin in WebAssembly text. Build it with
;; `zeroclaw plugins build .`: every export of the world left out here becomes a trapping
;; stub (never called: handles() does not name it) and the module is wrapped into a
;; component.
;;
;; It handles `before-tool-call` and cancels every call of the tool `shell`. Records are laid
;; out in linear memory as the component model's canonical ABI says: a string is a
;; (pointer, length) pair of i32, a variant is a case byte then its payload at offset 4.
;; `zeroclaw plugins wit --out wit` writes the WIT; to see the core signature of every
;; function: wasm-tools component embed --dummy-names legacy wit/zeroclaw/hooks/v1 -w hooks -t
(module
  (memory (export "memory") 1)

  ;; handles() -> list<event>: (pointer 0, length 1) at 8; case 13 is before-tool-call.
  (data (i32.const 0) "\0d")
  (data (i32.const 8) "\00\00\00\00\01\00\00\00")
  ;; before-tool-call-result `unchanged` (case 0) at 16.
  (data (i32.const 16) "\00")
  ;; `cancel(cancellation{reason})` (case 2) at 32, its reason at 64.
  (data (i32.const 32) "\02\00\00\00\40\00\00\00\11\00\00\00")
  (data (i32.const 64) "shell is disabled")
  (data (i32.const 96) "shell")

  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32)
    i32.const 8)

  ;; before-tool-call(record{session-id: string, tool: string, arguments: string}):
  ;; three (pointer, length) pairs in; a pointer to the result out.
  (func (export "zeroclaw:hooks/handler@1.0.0#before-tool-call")
    (param $session i32) (param $session_len i32)
    (param $tool i32) (param $tool_len i32)
    (param $arguments i32) (param $arguments_len i32)
    (result i32)
    (if (result i32)
      (i32.and
        (i32.eq (local.get $tool_len) (i32.const 5))
        (i32.and
          (i32.eq (i32.load (local.get $tool)) (i32.load (i32.const 96)))
          (i32.eq (i32.load8_u offset=4 (local.get $tool)) (i32.load8_u (i32.const 100)))))
      (then (i32.const 32))
      (else (i32.const 16))))
)
