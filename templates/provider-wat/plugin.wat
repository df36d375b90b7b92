;; my-provider: a ZeroClaw provider plugin in WebAssembly text. Build it with
;; `zeroclaw plugins build .`: the module is wrapped into a component (a memory and a
;; `cabi_realloc` are added when missing).
;;
;; An offline model, `echo-1`, that answers with the last message of the conversation.
;; Records are laid out in linear memory as the component model's canonical ABI says: a
;; string is a (pointer, length) pair of i32, a list too, an option or a result is a case
;; byte then its payload, each field at its type's alignment. `zeroclaw plugins wit --out wit`
;; writes the WIT; to see the core signature of every function:
;;   wasm-tools component embed --dummy-names legacy wit/zeroclaw/providers/v1 -w providers -t
(module
  (memory (export "memory") 1)
  (data (i32.const 64) "My provider")
  (data (i32.const 80) "echo-1")
  (data (i32.const 96) "the conversation has no message")
  ;; models: list<string> of one, (pointer 80, length 6) at 128
  (data (i32.const 128) "\50\00\00\00\06\00\00\00")
  ;; provider-info{display-name, default-model, models, supports-tools = false} at 160
  (data (i32.const 160)
    "\40\00\00\00\0b\00\00\00\50\00\00\00\06\00\00\00\80\00\00\00\01\00\00\00\00")

  (func (export "zeroclaw:providers/provider@1.0.0#info") (result i32)
    i32.const 160)

  ;; chat(request) -> result<chat-response, provider-error>, written at 512. The request
  ;; record comes flattened: model, messages, tools (pointer, length each), then the
  ;; options (temperature: option<f32>, max-tokens: option<u32>, stop: list<string>).
  (func (export "zeroclaw:providers/provider@1.0.0#chat")
    (param $model i32) (param $model_len i32)
    (param $messages i32) (param $count i32)
    (param $tools i32) (param $tools_len i32)
    (param $has_temperature i32) (param $temperature f32)
    (param $has_max_tokens i32) (param $max_tokens i32)
    (param $stop i32) (param $stop_len i32)
    (result i32)
    (local $last i32)
    (if (i32.eqz (local.get $count))
      (then
        ;; err(invalid-request("the conversation has no message")): case 1, then the
        ;; provider-error case 2 at +4 and its string at +8, +12.
        (i32.store8 (i32.const 512) (i32.const 1))
        (i32.store8 (i32.const 516) (i32.const 2))
        (i32.store (i32.const 520) (i32.const 96))
        (i32.store (i32.const 524) (i32.const 31))
        (return (i32.const 512))))
    ;; a chat-message is 48 bytes: role, content, tool-calls (8 each), then two
    ;; option<string> (12 each); the content of the last one is at +8.
    (local.set $last
      (i32.add (local.get $messages) (i32.mul (i32.sub (local.get $count) (i32.const 1)) (i32.const 48))))
    ;; ok(chat-response): case 0, then at +4 the record
    (i32.store8 (i32.const 512) (i32.const 0))
    ;; text: some(content of the last message)
    (i32.store8 (i32.const 516) (i32.const 1))
    (i32.store (i32.const 520) (i32.load offset=8 (local.get $last)))
    (i32.store (i32.const 524) (i32.load offset=12 (local.get $last)))
    ;; tool-calls: the empty list
    (i32.store (i32.const 528) (i32.const 0))
    (i32.store (i32.const 532) (i32.const 0))
    ;; usage: none
    (i32.store8 (i32.const 536) (i32.const 0))
    ;; model: some("echo-1")
    (i32.store8 (i32.const 548) (i32.const 1))
    (i32.store (i32.const 552) (i32.const 80))
    (i32.store (i32.const 556) (i32.const 6))
    i32.const 512)
)
