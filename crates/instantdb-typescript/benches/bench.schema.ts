// Docs: https://www.instantdb.com/docs/modeling-data

import { i } from "@instantdb/core";

const _schema = i.schema({
  entities: {
    "entity00": i.entity({
      "entity00Attr00": i.json().optional(),
      "entity00Attr01": i.number(),
      "entity00Attr02": i.number(),
      "entity00Attr03": i.number().indexed().optional(),
      "entity00Attr04": i.json(),
      "entity00Attr05": i.boolean().unique(),
      "entity00Attr06": i.json().optional(),
      "entity00Attr07": i.boolean().unique().optional(),
      "entity00Attr08": i.date(),
      "entity00Attr09": i.boolean().indexed(),
      "entity00Attr10": i.boolean().indexed(),
      "entity00Attr11": i.json().unique(),
    }),
    "entity01": i.entity({
      "entity01Attr00": i.boolean().optional(),
      "entity01Attr01": i.json(),
      "entity01Attr02": i.string(),
      "entity01Attr03": i.boolean().optional(),
      "entity01Attr04": i.number().optional(),
      "entity01Attr05": i.date().optional(),
      "entity01Attr06": i.date().optional(),
      "entity01Attr07": i.date().optional(),
      "entity01Attr08": i.date(),
      "entity01Attr09": i.boolean(),
      "entity01Attr10": i.string(),
      "entity01Attr11": i.boolean().optional(),
    }),
    "entity02": i.entity({
      "entity02Attr00": i.json().unique().indexed(),
      "entity02Attr01": i.json().optional(),
      "entity02Attr02": i.json().indexed().optional(),
      "entity02Attr03": i.string().unique(),
      "entity02Attr04": i.date().unique(),
      "entity02Attr05": i.date(),
      "entity02Attr06": i.boolean().optional(),
      "entity02Attr07": i.boolean(),
      "entity02Attr08": i.string().optional(),
      "entity02Attr09": i.number().indexed(),
      "entity02Attr10": i.number().unique().indexed().optional(),
      "entity02Attr11": i.string().indexed().optional(),
    }),
    "entity03": i.entity({
      "entity03Attr00": i.json().indexed().optional(),
      "entity03Attr01": i.boolean(),
      "entity03Attr02": i.number(),
      "entity03Attr03": i.number().indexed(),
      "entity03Attr04": i.boolean().unique(),
      "entity03Attr05": i.date().indexed(),
      "entity03Attr06": i.boolean().indexed(),
      "entity03Attr07": i.string().optional(),
      "entity03Attr08": i.date(),
      "entity03Attr09": i.number().indexed().optional(),
      "entity03Attr10": i.number(),
      "entity03Attr11": i.boolean().indexed().optional(),
    }),
    "entity04": i.entity({
      "entity04Attr00": i.json().optional(),
      "entity04Attr01": i.date().unique(),
      "entity04Attr02": i.string().unique(),
      "entity04Attr03": i.number().indexed(),
      "entity04Attr04": i.boolean().unique().optional(),
      "entity04Attr05": i.json(),
      "entity04Attr06": i.string().optional(),
      "entity04Attr07": i.string().unique(),
      "entity04Attr08": i.date(),
      "entity04Attr09": i.boolean(),
      "entity04Attr10": i.json().unique().indexed(),
      "entity04Attr11": i.boolean().optional(),
    }),
    "entity05": i.entity({
      "entity05Attr00": i.number(),
      "entity05Attr01": i.boolean().unique().indexed().optional(),
      "entity05Attr02": i.string().optional(),
      "entity05Attr03": i.number().optional(),
      "entity05Attr04": i.json().indexed().optional(),
      "entity05Attr05": i.string(),
      "entity05Attr06": i.number().indexed(),
      "entity05Attr07": i.string().unique().optional(),
      "entity05Attr08": i.boolean().optional(),
      "entity05Attr09": i.number().indexed(),
      "entity05Attr10": i.number(),
      "entity05Attr11": i.json().indexed(),
    }),
    "entity06": i.entity({
      "entity06Attr00": i.json().indexed(),
      "entity06Attr01": i.json(),
      "entity06Attr02": i.number().optional(),
      "entity06Attr03": i.boolean(),
      "entity06Attr04": i.number(),
      "entity06Attr05": i.json().indexed().optional(),
      "entity06Attr06": i.date().unique(),
      "entity06Attr07": i.number().indexed().optional(),
      "entity06Attr08": i.number().unique().optional(),
      "entity06Attr09": i.number().unique(),
      "entity06Attr10": i.string().indexed(),
      "entity06Attr11": i.number().optional(),
    }),
    "entity07": i.entity({
      "entity07Attr00": i.date().indexed(),
      "entity07Attr01": i.boolean().indexed(),
      "entity07Attr02": i.number().indexed().optional(),
      "entity07Attr03": i.string(),
      "entity07Attr04": i.date().optional(),
      "entity07Attr05": i.date().optional(),
      "entity07Attr06": i.string().optional(),
      "entity07Attr07": i.date().optional(),
      "entity07Attr08": i.boolean(),
      "entity07Attr09": i.boolean().unique(),
      "entity07Attr10": i.date(),
      "entity07Attr11": i.string(),
    }),
    "entity08": i.entity({
      "entity08Attr00": i.number().indexed().optional(),
      "entity08Attr01": i.string().optional(),
      "entity08Attr02": i.boolean().optional(),
      "entity08Attr03": i.date().optional(),
      "entity08Attr04": i.number().indexed(),
      "entity08Attr05": i.string().indexed().optional(),
      "entity08Attr06": i.string().indexed(),
      "entity08Attr07": i.boolean().optional(),
      "entity08Attr08": i.string().optional(),
      "entity08Attr09": i.string().optional(),
      "entity08Attr10": i.date().indexed(),
      "entity08Attr11": i.date().unique().optional(),
    }),
    "entity09": i.entity({
      "entity09Attr00": i.string().unique().optional(),
      "entity09Attr01": i.json().unique().indexed().optional(),
      "entity09Attr02": i.string().unique().optional(),
      "entity09Attr03": i.json().optional(),
      "entity09Attr04": i.string(),
      "entity09Attr05": i.number().unique().indexed(),
      "entity09Attr06": i.boolean(),
      "entity09Attr07": i.string().indexed(),
      "entity09Attr08": i.date(),
      "entity09Attr09": i.json().optional(),
      "entity09Attr10": i.date(),
      "entity09Attr11": i.boolean().indexed(),
    }),
    "entity10": i.entity({
      "entity10Attr00": i.boolean(),
      "entity10Attr01": i.json(),
      "entity10Attr02": i.boolean().optional(),
      "entity10Attr03": i.string(),
      "entity10Attr04": i.boolean().optional(),
      "entity10Attr05": i.json(),
      "entity10Attr06": i.string(),
      "entity10Attr07": i.date().optional(),
      "entity10Attr08": i.boolean().unique().optional(),
      "entity10Attr09": i.string().indexed().optional(),
      "entity10Attr10": i.boolean().indexed().optional(),
      "entity10Attr11": i.date().unique().indexed().optional(),
    }),
    "entity11": i.entity({
      "entity11Attr00": i.string().optional(),
      "entity11Attr01": i.number(),
      "entity11Attr02": i.string().indexed().optional(),
      "entity11Attr03": i.string().unique(),
      "entity11Attr04": i.string().unique().indexed(),
      "entity11Attr05": i.json().optional(),
      "entity11Attr06": i.string().unique().optional(),
      "entity11Attr07": i.json().optional(),
      "entity11Attr08": i.string().unique().indexed().optional(),
      "entity11Attr09": i.boolean().indexed(),
      "entity11Attr10": i.string().indexed().optional(),
      "entity11Attr11": i.date(),
    }),
    "entity12": i.entity({
      "entity12Attr00": i.date(),
      "entity12Attr01": i.date().indexed(),
      "entity12Attr02": i.boolean().optional(),
      "entity12Attr03": i.string().indexed().optional(),
      "entity12Attr04": i.number().optional(),
      "entity12Attr05": i.date().indexed().optional(),
      "entity12Attr06": i.date(),
      "entity12Attr07": i.number().optional(),
      "entity12Attr08": i.string().unique(),
      "entity12Attr09": i.date().optional(),
      "entity12Attr10": i.json(),
      "entity12Attr11": i.number().optional(),
    }),
    "entity13": i.entity({
      "entity13Attr00": i.number(),
      "entity13Attr01": i.boolean().indexed(),
      "entity13Attr02": i.json().unique(),
      "entity13Attr03": i.boolean(),
      "entity13Attr04": i.json().optional(),
      "entity13Attr05": i.number().optional(),
      "entity13Attr06": i.json().indexed().optional(),
      "entity13Attr07": i.date().optional(),
      "entity13Attr08": i.string().indexed().optional(),
      "entity13Attr09": i.boolean(),
      "entity13Attr10": i.date(),
      "entity13Attr11": i.json(),
    }),
    "entity14": i.entity({
      "entity14Attr00": i.json().unique().optional(),
      "entity14Attr01": i.string().unique(),
      "entity14Attr02": i.string(),
      "entity14Attr03": i.json().unique(),
      "entity14Attr04": i.number(),
      "entity14Attr05": i.date().optional(),
      "entity14Attr06": i.date(),
      "entity14Attr07": i.date(),
      "entity14Attr08": i.json().unique(),
      "entity14Attr09": i.date().indexed(),
      "entity14Attr10": i.boolean().indexed().optional(),
      "entity14Attr11": i.boolean().unique(),
    }),
    "entity15": i.entity({
      "entity15Attr00": i.string(),
      "entity15Attr01": i.json().optional(),
      "entity15Attr02": i.json(),
      "entity15Attr03": i.string().indexed(),
      "entity15Attr04": i.string().unique(),
      "entity15Attr05": i.boolean(),
      "entity15Attr06": i.json().indexed(),
      "entity15Attr07": i.date().indexed(),
      "entity15Attr08": i.number(),
      "entity15Attr09": i.number().unique(),
      "entity15Attr10": i.number().indexed(),
      "entity15Attr11": i.boolean().indexed(),
    }),
    "entity16": i.entity({
      "entity16Attr00": i.json(),
      "entity16Attr01": i.number(),
      "entity16Attr02": i.string().indexed(),
      "entity16Attr03": i.date().indexed(),
      "entity16Attr04": i.date(),
      "entity16Attr05": i.date(),
      "entity16Attr06": i.number().unique(),
      "entity16Attr07": i.json().unique().indexed(),
      "entity16Attr08": i.date().indexed().optional(),
      "entity16Attr09": i.number(),
      "entity16Attr10": i.boolean().unique(),
      "entity16Attr11": i.boolean().unique().optional(),
    }),
    "entity17": i.entity({
      "entity17Attr00": i.boolean(),
      "entity17Attr01": i.boolean().unique(),
      "entity17Attr02": i.date(),
      "entity17Attr03": i.json().indexed(),
      "entity17Attr04": i.number().indexed().optional(),
      "entity17Attr05": i.number(),
      "entity17Attr06": i.json().optional(),
      "entity17Attr07": i.number().optional(),
      "entity17Attr08": i.boolean().optional(),
      "entity17Attr09": i.json().indexed().optional(),
      "entity17Attr10": i.number().indexed(),
      "entity17Attr11": i.date(),
    }),
    "entity18": i.entity({
      "entity18Attr00": i.number().indexed(),
      "entity18Attr01": i.boolean().optional(),
      "entity18Attr02": i.string().unique().optional(),
      "entity18Attr03": i.number().optional(),
      "entity18Attr04": i.json().unique().optional(),
      "entity18Attr05": i.number().indexed().optional(),
      "entity18Attr06": i.date().indexed(),
      "entity18Attr07": i.boolean().unique(),
      "entity18Attr08": i.date().indexed().optional(),
      "entity18Attr09": i.boolean(),
      "entity18Attr10": i.string(),
      "entity18Attr11": i.string().indexed(),
    }),
    "entity19": i.entity({
      "entity19Attr00": i.boolean(),
      "entity19Attr01": i.date().optional(),
      "entity19Attr02": i.boolean().optional(),
      "entity19Attr03": i.number().indexed().optional(),
      "entity19Attr04": i.string().indexed().optional(),
      "entity19Attr05": i.date().unique().optional(),
      "entity19Attr06": i.boolean().optional(),
      "entity19Attr07": i.string(),
      "entity19Attr08": i.number(),
      "entity19Attr09": i.date().optional(),
      "entity19Attr10": i.number().indexed(),
      "entity19Attr11": i.string().optional(),
    }),
    "entity20": i.entity({
      "entity20Attr00": i.string().optional(),
      "entity20Attr01": i.json(),
      "entity20Attr02": i.number().optional(),
      "entity20Attr03": i.boolean(),
      "entity20Attr04": i.date().unique(),
      "entity20Attr05": i.boolean().optional(),
      "entity20Attr06": i.string(),
      "entity20Attr07": i.string().unique(),
      "entity20Attr08": i.string(),
      "entity20Attr09": i.number().unique().indexed(),
      "entity20Attr10": i.string().optional(),
      "entity20Attr11": i.boolean(),
    }),
    "entity21": i.entity({
      "entity21Attr00": i.json(),
      "entity21Attr01": i.boolean(),
      "entity21Attr02": i.json().unique(),
      "entity21Attr03": i.string().optional(),
      "entity21Attr04": i.date().indexed(),
      "entity21Attr05": i.date().optional(),
      "entity21Attr06": i.date(),
      "entity21Attr07": i.string().unique(),
      "entity21Attr08": i.json().optional(),
      "entity21Attr09": i.json(),
      "entity21Attr10": i.number().unique().optional(),
      "entity21Attr11": i.date().indexed().optional(),
    }),
    "entity22": i.entity({
      "entity22Attr00": i.string().optional(),
      "entity22Attr01": i.json().optional(),
      "entity22Attr02": i.string().unique().indexed(),
      "entity22Attr03": i.boolean().indexed(),
      "entity22Attr04": i.number().unique().indexed(),
      "entity22Attr05": i.boolean().optional(),
      "entity22Attr06": i.json().optional(),
      "entity22Attr07": i.boolean().optional(),
      "entity22Attr08": i.json().indexed().optional(),
      "entity22Attr09": i.boolean(),
      "entity22Attr10": i.boolean().optional(),
      "entity22Attr11": i.date(),
    }),
    "entity23": i.entity({
      "entity23Attr00": i.date().unique(),
      "entity23Attr01": i.boolean().indexed().optional(),
      "entity23Attr02": i.boolean().optional(),
      "entity23Attr03": i.number().indexed().optional(),
      "entity23Attr04": i.string().unique().optional(),
      "entity23Attr05": i.string().unique(),
      "entity23Attr06": i.json().optional(),
      "entity23Attr07": i.date().optional(),
      "entity23Attr08": i.json().optional(),
      "entity23Attr09": i.boolean().optional(),
      "entity23Attr10": i.date().optional(),
      "entity23Attr11": i.date(),
    }),
    "entity24": i.entity({
      "entity24Attr00": i.string(),
      "entity24Attr01": i.json().optional(),
      "entity24Attr02": i.boolean().unique(),
      "entity24Attr03": i.boolean(),
      "entity24Attr04": i.boolean(),
      "entity24Attr05": i.string(),
      "entity24Attr06": i.boolean().optional(),
      "entity24Attr07": i.date(),
      "entity24Attr08": i.date().optional(),
      "entity24Attr09": i.number().unique().indexed().optional(),
      "entity24Attr10": i.number().optional(),
      "entity24Attr11": i.date(),
    }),
    "entity25": i.entity({
      "entity25Attr00": i.string(),
      "entity25Attr01": i.number(),
      "entity25Attr02": i.json().optional(),
      "entity25Attr03": i.date(),
      "entity25Attr04": i.number(),
      "entity25Attr05": i.json().unique(),
      "entity25Attr06": i.json().indexed(),
      "entity25Attr07": i.date(),
      "entity25Attr08": i.number(),
      "entity25Attr09": i.json(),
      "entity25Attr10": i.number().optional(),
      "entity25Attr11": i.json(),
    }),
    "entity26": i.entity({
      "entity26Attr00": i.json().unique(),
      "entity26Attr01": i.date().optional(),
      "entity26Attr02": i.string().indexed(),
      "entity26Attr03": i.string().optional(),
      "entity26Attr04": i.number().optional(),
      "entity26Attr05": i.number(),
      "entity26Attr06": i.boolean().optional(),
      "entity26Attr07": i.number(),
      "entity26Attr08": i.json(),
      "entity26Attr09": i.string().optional(),
      "entity26Attr10": i.number().optional(),
      "entity26Attr11": i.string().indexed().optional(),
    }),
    "entity27": i.entity({
      "entity27Attr00": i.number(),
      "entity27Attr01": i.json().unique(),
      "entity27Attr02": i.json().unique(),
      "entity27Attr03": i.date(),
      "entity27Attr04": i.number().indexed().optional(),
      "entity27Attr05": i.string().unique().optional(),
      "entity27Attr06": i.string().unique().optional(),
      "entity27Attr07": i.boolean().optional(),
      "entity27Attr08": i.number().unique(),
      "entity27Attr09": i.number(),
      "entity27Attr10": i.number(),
      "entity27Attr11": i.date().unique().indexed(),
    }),
    "entity28": i.entity({
      "entity28Attr00": i.json().optional(),
      "entity28Attr01": i.number().unique().optional(),
      "entity28Attr02": i.date(),
      "entity28Attr03": i.string(),
      "entity28Attr04": i.boolean(),
      "entity28Attr05": i.number().unique(),
      "entity28Attr06": i.string(),
      "entity28Attr07": i.boolean().indexed().optional(),
      "entity28Attr08": i.json().optional(),
      "entity28Attr09": i.date().unique().optional(),
      "entity28Attr10": i.date().indexed(),
      "entity28Attr11": i.boolean(),
    }),
    "entity29": i.entity({
      "entity29Attr00": i.json().optional(),
      "entity29Attr01": i.string().optional(),
      "entity29Attr02": i.boolean().indexed().optional(),
      "entity29Attr03": i.boolean().unique().optional(),
      "entity29Attr04": i.number().optional(),
      "entity29Attr05": i.date().optional(),
      "entity29Attr06": i.number(),
      "entity29Attr07": i.number(),
      "entity29Attr08": i.json().optional(),
      "entity29Attr09": i.boolean().unique().optional(),
      "entity29Attr10": i.string().unique().indexed(),
      "entity29Attr11": i.number().indexed(),
    }),
  },
  links: {
    "link00": {
      "forward": {
        "on": "entity17",
        "has": "one",
        "label": "toentity1600",
        "required": true,
        "onDelete": "cascade"
      },
      "reverse": {
        "on": "entity16",
        "has": "one",
        "label": "fromentity1700"
      }
    },
    "link01": {
      "forward": {
        "on": "entity26",
        "has": "one",
        "label": "toentity1101"
      },
      "reverse": {
        "on": "entity11",
        "has": "one",
        "label": "fromentity2601"
      }
    },
    "link02": {
      "forward": {
        "on": "entity15",
        "has": "one",
        "label": "toentity2802"
      },
      "reverse": {
        "on": "entity28",
        "has": "many",
        "label": "fromentity1502"
      }
    },
    "link03": {
      "forward": {
        "on": "entity02",
        "has": "one",
        "label": "toentity2303",
        "required": true
      },
      "reverse": {
        "on": "entity23",
        "has": "many",
        "label": "fromentity0203"
      }
    },
    "link04": {
      "forward": {
        "on": "entity20",
        "has": "many",
        "label": "toentity1404",
        "required": true
      },
      "reverse": {
        "on": "entity14",
        "has": "one",
        "label": "fromentity2004"
      }
    },
    "link05": {
      "forward": {
        "on": "entity25",
        "has": "one",
        "label": "toentity1205"
      },
      "reverse": {
        "on": "entity12",
        "has": "many",
        "label": "fromentity2505"
      }
    },
    "link06": {
      "forward": {
        "on": "entity15",
        "has": "one",
        "label": "toentity2906",
        "required": true,
        "onDelete": "cascade"
      },
      "reverse": {
        "on": "entity29",
        "has": "one",
        "label": "fromentity1506"
      }
    },
    "link07": {
      "forward": {
        "on": "entity10",
        "has": "many",
        "label": "toentity1407"
      },
      "reverse": {
        "on": "entity14",
        "has": "one",
        "label": "fromentity1007"
      }
    },
    "link08": {
      "forward": {
        "on": "entity04",
        "has": "many",
        "label": "toentity2808"
      },
      "reverse": {
        "on": "entity28",
        "has": "many",
        "label": "fromentity0408"
      }
    },
    "link09": {
      "forward": {
        "on": "entity04",
        "has": "one",
        "label": "toentity1909",
        "onDelete": "cascade"
      },
      "reverse": {
        "on": "entity19",
        "has": "many",
        "label": "fromentity0409"
      }
    },
    "link10": {
      "forward": {
        "on": "entity16",
        "has": "one",
        "label": "toentity2610",
        "required": true
      },
      "reverse": {
        "on": "entity26",
        "has": "one",
        "label": "fromentity1610"
      }
    },
    "link11": {
      "forward": {
        "on": "entity15",
        "has": "one",
        "label": "toentity1911"
      },
      "reverse": {
        "on": "entity19",
        "has": "one",
        "label": "fromentity1511"
      }
    },
    "link12": {
      "forward": {
        "on": "entity02",
        "has": "many",
        "label": "toentity1712",
        "required": true
      },
      "reverse": {
        "on": "entity17",
        "has": "many",
        "label": "fromentity0212"
      }
    },
    "link13": {
      "forward": {
        "on": "entity04",
        "has": "many",
        "label": "toentity0013",
        "required": true
      },
      "reverse": {
        "on": "entity00",
        "has": "many",
        "label": "fromentity0413"
      }
    },
    "link14": {
      "forward": {
        "on": "entity26",
        "has": "one",
        "label": "toentity0114",
        "required": true
      },
      "reverse": {
        "on": "entity01",
        "has": "one",
        "label": "fromentity2614"
      }
    },
    "link15": {
      "forward": {
        "on": "entity02",
        "has": "one",
        "label": "toentity1315"
      },
      "reverse": {
        "on": "entity13",
        "has": "many",
        "label": "fromentity0215"
      }
    },
    "link16": {
      "forward": {
        "on": "entity19",
        "has": "one",
        "label": "toentity0616",
        "required": true
      },
      "reverse": {
        "on": "entity06",
        "has": "many",
        "label": "fromentity1916"
      }
    },
    "link17": {
      "forward": {
        "on": "entity18",
        "has": "one",
        "label": "toentity2317",
        "required": true,
        "onDelete": "cascade"
      },
      "reverse": {
        "on": "entity23",
        "has": "many",
        "label": "fromentity1817"
      }
    },
    "link18": {
      "forward": {
        "on": "entity12",
        "has": "many",
        "label": "toentity0718"
      },
      "reverse": {
        "on": "entity07",
        "has": "one",
        "label": "fromentity1218"
      }
    },
    "link19": {
      "forward": {
        "on": "entity25",
        "has": "one",
        "label": "toentity0919"
      },
      "reverse": {
        "on": "entity09",
        "has": "many",
        "label": "fromentity2519"
      }
    },
    "link20": {
      "forward": {
        "on": "entity15",
        "has": "many",
        "label": "toentity1720"
      },
      "reverse": {
        "on": "entity17",
        "has": "many",
        "label": "fromentity1520"
      }
    },
    "link21": {
      "forward": {
        "on": "entity14",
        "has": "many",
        "label": "toentity1321"
      },
      "reverse": {
        "on": "entity13",
        "has": "many",
        "label": "fromentity1421"
      }
    },
    "link22": {
      "forward": {
        "on": "entity01",
        "has": "many",
        "label": "toentity0622",
        "required": true
      },
      "reverse": {
        "on": "entity06",
        "has": "many",
        "label": "fromentity0122"
      }
    },
    "link23": {
      "forward": {
        "on": "entity26",
        "has": "many",
        "label": "toentity0823"
      },
      "reverse": {
        "on": "entity08",
        "has": "one",
        "label": "fromentity2623"
      }
    },
    "link24": {
      "forward": {
        "on": "entity24",
        "has": "many",
        "label": "toentity2224",
        "required": true
      },
      "reverse": {
        "on": "entity22",
        "has": "one",
        "label": "fromentity2424"
      }
    },
    "link25": {
      "forward": {
        "on": "entity09",
        "has": "one",
        "label": "toentity2825"
      },
      "reverse": {
        "on": "entity28",
        "has": "one",
        "label": "fromentity0925"
      }
    },
    "link26": {
      "forward": {
        "on": "entity13",
        "has": "one",
        "label": "toentity2326",
        "onDelete": "cascade"
      },
      "reverse": {
        "on": "entity23",
        "has": "one",
        "label": "fromentity1326"
      }
    },
    "link27": {
      "forward": {
        "on": "entity23",
        "has": "many",
        "label": "toentity2127",
        "required": true
      },
      "reverse": {
        "on": "entity21",
        "has": "one",
        "label": "fromentity2327"
      }
    },
    "link28": {
      "forward": {
        "on": "entity07",
        "has": "one",
        "label": "toentity2028",
        "required": true
      },
      "reverse": {
        "on": "entity20",
        "has": "one",
        "label": "fromentity0728"
      }
    },
    "link29": {
      "forward": {
        "on": "entity14",
        "has": "one",
        "label": "toentity2729",
        "required": true
      },
      "reverse": {
        "on": "entity27",
        "has": "many",
        "label": "fromentity1429"
      }
    },
    "link30": {
      "forward": {
        "on": "entity08",
        "has": "one",
        "label": "toentity2130",
        "required": true,
        "onDelete": "cascade"
      },
      "reverse": {
        "on": "entity21",
        "has": "one",
        "label": "fromentity0830"
      }
    },
    "link31": {
      "forward": {
        "on": "entity18",
        "has": "many",
        "label": "toentity0331"
      },
      "reverse": {
        "on": "entity03",
        "has": "one",
        "label": "fromentity1831"
      }
    },
    "link32": {
      "forward": {
        "on": "entity09",
        "has": "one",
        "label": "toentity2932",
        "required": true
      },
      "reverse": {
        "on": "entity29",
        "has": "one",
        "label": "fromentity0932"
      }
    },
    "link33": {
      "forward": {
        "on": "entity00",
        "has": "many",
        "label": "toentity2033"
      },
      "reverse": {
        "on": "entity20",
        "has": "many",
        "label": "fromentity0033"
      }
    },
    "link34": {
      "forward": {
        "on": "entity20",
        "has": "one",
        "label": "toentity2834"
      },
      "reverse": {
        "on": "entity28",
        "has": "one",
        "label": "fromentity2034"
      }
    },
    "link35": {
      "forward": {
        "on": "entity06",
        "has": "many",
        "label": "toentity1935"
      },
      "reverse": {
        "on": "entity19",
        "has": "many",
        "label": "fromentity0635"
      }
    },
    "link36": {
      "forward": {
        "on": "entity27",
        "has": "many",
        "label": "toentity2836"
      },
      "reverse": {
        "on": "entity28",
        "has": "many",
        "label": "fromentity2736"
      }
    },
    "link37": {
      "forward": {
        "on": "entity09",
        "has": "one",
        "label": "toentity1237",
        "onDelete": "cascade"
      },
      "reverse": {
        "on": "entity12",
        "has": "many",
        "label": "fromentity0937"
      }
    },
    "link38": {
      "forward": {
        "on": "entity06",
        "has": "many",
        "label": "toentity2438",
        "required": true
      },
      "reverse": {
        "on": "entity24",
        "has": "one",
        "label": "fromentity0638"
      }
    },
    "link39": {
      "forward": {
        "on": "entity20",
        "has": "many",
        "label": "toentity1439"
      },
      "reverse": {
        "on": "entity14",
        "has": "many",
        "label": "fromentity2039"
      }
    }
  },
  rooms: {}
});

// This helps TypeScript display nicer intellisense
type _AppSchema = typeof _schema;
interface AppSchema extends _AppSchema {}
const schema: AppSchema = _schema;

export type { AppSchema }
export default schema;
