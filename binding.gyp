{
  "targets": [
    {
      "target_name": "dataplane",
      "sources": [
        "native/nl/attr.cc",
        "native/nl/error.cc",
        "native/nl/exchange.cc",
        "native/nl/genl.cc",
        "native/nl/message.cc",
        "native/nl/netns.cc",
        "native/nl/socket.cc",
        "native/codec/rtnl_addr.cc",
        "native/codec/rtnl_link.cc",
        "native/napi/addon.cc",
        "native/napi/handle.cc",
        "native/napi/rtnl_ops.cc",
        "native/napi/worker.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fexceptions"],
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    }
  ]
}
