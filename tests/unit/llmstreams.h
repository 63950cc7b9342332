/* llmstreams — whole SSE streams as LLM servers send them, shared by the
 * SSE and token-event tests. Header-only: each unit test is its own program. */
#ifndef TAILGATE_TESTS_LLMSTREAMS_H
#define TAILGATE_TESTS_LLMSTREAMS_H

/* vLLM /v1/chat/completions with stream_options.include_usage: a role chunk
 * with empty content, two content chunks (the second carries two tokens), a
 * finish chunk with empty content, a usage chunk with "choices": [], [DONE]. */
#define VLLM_CHAT_ROLE                                                                             \
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","   \
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"               \
    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}"
#define VLLM_CHAT_TOKEN1                                                                           \
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","   \
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,"               \
    "\"finish_reason\":null}],\"usage\":null}"
#define VLLM_CHAT_TOKEN2                                                                           \
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","   \
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" wor\\u006cd\\n\"},\"logprobs\":null,"     \
    "\"finish_reason\":null}],\"usage\":null}"
#define VLLM_CHAT_FINISH                                                                           \
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","   \
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"logprobs\":null,"                    \
    "\"finish_reason\":\"length\",\"stop_reason\":null}],\"usage\":null}"
#define VLLM_CHAT_USAGE                                                                            \
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","   \
    "\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"total_tokens\":8,\"completion_tokens\":3}}"

static const char vllm_chat_stream[] = "data: " VLLM_CHAT_ROLE "\n\n"
                                       "data: " VLLM_CHAT_TOKEN1 "\n\n"
                                       "data: " VLLM_CHAT_TOKEN2 "\n\n"
                                       "data: " VLLM_CHAT_FINISH "\n\n"
                                       "data: " VLLM_CHAT_USAGE "\n\n"
                                       "data: [DONE]\n\n";

/* vLLM /v1/completions: text in choices[0].text, usage in the last chunk. */
#define VLLM_CMPL_TOKEN1                                                                           \
    "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","             \
    "\"choices\":[{\"index\":0,\"text\":\" Paris\",\"logprobs\":null,\"finish_reason\":null,"      \
    "\"stop_reason\":null}],\"usage\":null}"
#define VLLM_CMPL_TOKEN2                                                                           \
    "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","             \
    "\"choices\":[{\"index\":0,\"text\":\".\",\"logprobs\":null,\"finish_reason\":\"stop\","       \
    "\"stop_reason\":null}],\"usage\":null}"
#define VLLM_CMPL_USAGE                                                                            \
    "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","             \
    "\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"total_tokens\":6,\"completion_tokens\":2}}"

static const char vllm_completions_stream[] = "data: " VLLM_CMPL_TOKEN1 "\r\n\r\n"
                                              "data: " VLLM_CMPL_TOKEN2 "\r\n\r\n"
                                              "data: " VLLM_CMPL_USAGE "\r\n\r\n"
                                              "data: [DONE]\r\n\r\n";

/* TGI /generate_stream: "data:" without a space, token.text, the last token
 * special with details.generated_tokens, keep-alive comments between. */
#define TGI_TOKEN1                                                                                 \
    "{\"index\":1,\"token\":{\"id\":15043,\"text\":\"Hello\",\"logprob\":-0.1,"                    \
    "\"special\":false},\"generated_text\":null,\"details\":null}"
#define TGI_TOKEN2                                                                                 \
    "{\"index\":2,\"token\":{\"id\":3186,\"text\":\" world\",\"logprob\":-0.2,"                    \
    "\"special\":false},\"generated_text\":null,\"details\":null}"
#define TGI_LAST                                                                                   \
    "{\"index\":3,\"token\":{\"id\":2,\"text\":\"</s>\",\"logprob\":-0.3,\"special\":true},"       \
    "\"generated_text\":\"Hello world\",\"details\":{\"finish_reason\":\"eos_token\","             \
    "\"generated_tokens\":3,\"seed\":null}}"

static const char tgi_stream[] = "data:" TGI_TOKEN1 "\n\n"
                                 ":\n\n"
                                 "data:" TGI_TOKEN2 "\n\n"
                                 ": keep-alive\n\n"
                                 "data:" TGI_LAST "\n\n";

/* A vLLM error in mid-stream and TGI's. */
#define VLLM_ERROR                                                                                 \
    "{\"error\": {\"object\": \"error\", \"message\": \"boom\", \"type\": "                        \
    "\"InternalServerError\", "                                                                    \
    "\"param\": null, \"code\": 500}}"
#define TGI_ERROR                                                                                  \
    "{\"error\":\"Request failed during generation: boom\",\"error_type\":\"generation\"}"

#endif
