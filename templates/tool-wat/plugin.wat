;; my-tool: a ZeroClaw tool plugin in WebAssembly text. Build it with
;; `zeroclaw plugins build .`: the module is wrapped into a component (a memory and a
;; `cabi_realloc` are added when missing).
;;
;; One tool, `echo`, whose output is its arguments (the JSON object, as text). Records are
;; laid out in linear memory as the component model's canonical ABI says: a string is a
;; (pointer, length) pair of i32, a list too, a `result` is a case byte then its payload at
;; offset 4. `zeroclaw plugins wit --out wit` writes the WIT; to see the core signature of
;; every function: wasm-tools component embed --dummy-names legacy wit/zeroclaw/tools/v1 -w tools -t
(module
  (memory (export "memory") 1)
  (data (i32.const 64) "echo")
  (data (i32.const 80) "Returns its arguments as they came.")
  (data (i32.const 128) "{\"type\":\"object\"}")
  ;; tools(): one tool-spec{name, description, parameters-schema} at 160 (three pointer,
  ;; length pairs), and the list<tool-spec> (pointer 160, length 1) at 192.
  (data (i32.const 160) "\40\00\00\00\04\00\00\00\50\00\00\00\23\00\00\00\80\00\00\00\11\00\00\00")
  (data (i32.const 192) "\a0\00\00\00\01\00\00\00")
  (func (export "zeroclaw:tools/tool@1.0.0#tools") (result i32)
    i32.const 192)

  ;; call(name, arguments) -> result<string, tool-error>, written at 224:
  ;; byte 0 the case (0 ok, 1 err); ok: the string's pointer and length at +4 and +8;
  ;; err: the tool-error case at +4 and its string at +8, +12.
  (func (export "zeroclaw:tools/tool@1.0.0#call")
    (param $name i32) (param $name_len i32) (param $args i32) (param $args_len i32)
    (result i32)
    (if (i32.ne (local.get $name_len) (i32.const 4))
      (then (return (call $unknown_tool (local.get $name) (local.get $name_len)))))
    (if (i32.ne (i32.load (local.get $name)) (i32.load (i32.const 64)))
      (then (return (call $unknown_tool (local.get $name) (local.get $name_len)))))
    (i32.store8 (i32.const 224) (i32.const 0))
    (i32.store (i32.const 228) (local.get $args))
    (i32.store (i32.const 232) (local.get $args_len))
    i32.const 224)

  (func $unknown_tool (param $name i32) (param $name_len i32) (result i32)
    (i32.store8 (i32.const 224) (i32.const 1))
    (i32.store8 (i32.const 228) (i32.const 1))
    (i32.store (i32.const 232) (local.get $name))
    (i32.store (i32.const 236) (local.get $name_len))
    i32.const 224)
)
