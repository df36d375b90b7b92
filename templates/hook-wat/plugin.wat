;; A ZeroClaw hook plugin in WebAssembly text. Build it with `zeroclaw plugins build DIR`:
;; every export of the world left out here becomes a trapping stub (never called: handles()
;; does not name it) and the module is wrapped into a component.
;;
;; See the core signature of any function with
;;   wasm-tools component embed --dummy-names legacy wit/zeroclaw/hooks/v1 -w hooks -t
(module
  (memory (export "memory") 1)

  ;; handles() -> list<event>: (pointer 0, length 1) at 8; case 13 is before-tool-call.
  (data (i32.const 0) "\0d")
  (data (i32.const 8) "\00\00\00\00\01\00\00\00")
  ;; before-tool-call-result `unchanged` (case 0) at 16.
  (data (i32.const 16) "\00")

  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32)
    i32.const 8)

  ;; before-tool-call(record{session-id: string, tool: string, arguments: string}):
  ;; three (pointer, length) pairs in; a pointer to the result out.
  (func (export "zeroclaw:hooks/handler@1.0.0#before-tool-call")
    (param $session i32) (param $session_len i32)
    (param $tool i32) (param $tool_len i32)
    (param $arguments i32) (param $arguments_len i32)
    (result i32)
    i32.const 16)
)
